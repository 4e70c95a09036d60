import type { FittedIdEncoding } from './fitted-spec.js';
import { hashBucket } from './hash.js';
import { ByteSlotTable } from './slot-table.js';

/**
 * The id of one token under a fitted encoding (0 = out of vocabulary or out of range), given the token and its
 * `murmur3String` hash (which every slot computes anyway). `ofBytes`, when an encoding has it, gives the same
 * id from the token's UTF-8 bytes without decoding them (values of Utf8Values columns).
 */
export type IdFunction = ((token: string, hash: number) => number) & {
  readonly ofBytes?: (data: Uint8Array, start: number, end: number, hash: number) => number;
};

const INTEGER = /^-?\d+$/;

/** Id 0 for every value (fit counts values before there are ids). */
export const NO_ID: IdFunction = Object.assign(() => 0, { ofBytes: () => 0 });

export function idFunction(e: FittedIdEncoding): IdFunction {
  switch (e.kind) {
    case 'vocabulary': {
      const map = new Map(e.values.map((v, i) => [v, i + 1]));
      const bytes = vocabularyTable(e.values);
      return Object.assign((t: string) => map.get(t) ?? 0, {
        ofBytes: (data: Uint8Array, start: number, end: number) => {
          const k = bytes.lookup(data, start, end);
          return k < 0 ? 0 : bytes.idAt(k);
        },
      });
    }
    case 'hash':
      return Object.assign((_t: string, h: number) => hashBucket(h, e.numBuckets), {
        ofBytes: (_d: Uint8Array, _s: number, _e: number, h: number) => hashBucket(h, e.numBuckets),
      });
    case 'identity':
      // Ids of Utf8Values come from the decoded token (the row checks decode identity columns anyway).
      return (t) => {
        if (!INTEGER.test(t)) return 0;
        const v = Number(t);
        return v >= 0 && v < e.numBuckets ? v + 1 : 0;
      };
  }
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Vocabulary values by their UTF-8 bytes -> id, agreeing with the Map of strings: a later duplicate wins, and a
 * value with a lone surrogate is left out (it encodes as U+FFFD, yet no decoded bytes can equal it).
 */
function vocabularyTable(values: readonly string[]): ByteSlotTable {
  const table = new ByteSlotTable(values.length);
  const encoder = new TextEncoder();
  for (let i = values.length - 1; i >= 0; i--) {
    const v = values[i]!;
    if (LONE_SURROGATE.test(v)) continue;
    const b = encoder.encode(v);
    if (table.lookup(b, 0, b.length) < 0) table.insert(b, 0, b.length, i + 1);
  }
  return table;
}
