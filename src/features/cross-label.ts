import type { RowChunk } from '../data/types.js';
import { Utf8Values } from '../data/utf8-values.js';
import { listItems } from './chunk-access.js';
import type { FittedColumn, FittedCrossed, FittedSpec } from './fitted-spec.js';
import { hashBucket, murmur3String, murmur3Words } from './hash.js';
import { compareStrings } from './stats.js';

/**
 * What a crossed id means for one row, in words: `device=mobile x category=games`. A hashed id cannot be read
 * back (many tuples share a bucket) and a fitted tuple holds tokens (bucket ids, sorted when commutative), so
 * the label comes from the row itself: every tuple of the row's component values is encoded as cross.ts encodes
 * it, and the one that gives `id` is named, component by component in declared order (a bucketized component
 * by its range). The same for hashed and vocabulary crosses.
 */

/** One value of a component in a row: the token the cross reads, and how it is shown. */
interface ComponentValue {
  readonly token: string;
  readonly shown: string;
}

/** Most tuples of one row tried (a row's cartesian product is cut at the cross's maxCrossIds anyway). */
const MAX_TUPLES = 4096;

/** `name=value x name=value` for crossed id `id` of row `i` of `rows`; null when no tuple of the row gives it. */
export function crossLabel(spec: FittedSpec, cross: FittedCrossed, rows: RowChunk, i: number, id: number): string | null {
  const values = cross.components.map((name) => componentValues(spec.columns.find((c) => c.name === name), rows, i));
  if (values.some((v) => v === null || v.length === 0)) return null;
  const lists = values as ComponentValue[][];
  const total = lists.reduce((n, l) => n * l.length, 1);
  const pos = lists.map(() => 0);
  for (let t = 0; t < Math.min(total, MAX_TUPLES); t++) {
    const tuple = lists.map((l, c) => l[pos[c] as number] as ComponentValue);
    if (crossId(cross, tuple.map((v) => v.token)) === id) return tuple.map((v, c) => `${cross.components[c]}=${v.shown}`).join(' x ');
    for (let c = pos.length - 1; c >= 0; c--) {
      pos[c] = (pos[c] as number) + 1;
      if ((pos[c] as number) < (lists[c] as ComponentValue[]).length) break;
      pos[c] = 0;
    }
  }
  return null;
}

/** The id of one tuple of tokens, as CrossEncoder gives it (0 when a vocabulary cross does not hold it). */
function crossId(cross: FittedCrossed, tokens: readonly string[]): number {
  if (cross.encoding.kind === 'hash') {
    const words = Uint32Array.from(tokens, (t) => murmur3String(t));
    if (cross.commutative) words.sort();
    return hashBucket(murmur3Words(words, words.length), cross.encoding.numBuckets);
  }
  const key = cross.commutative ? [...tokens].sort(compareStrings) : tokens;
  const at = cross.encoding.values.findIndex((v) => v.length === key.length && v.every((x, j) => x === key[j]));
  return at + 1;
}

/** The values of one component in row i (several for a multi-valued one); null when the column is unknown. */
function componentValues(col: FittedColumn | undefined, rows: RowChunk, i: number): ComponentValue[] | null {
  if (col === undefined || col.type === 'crossed' || col.type === 'numeric') return null;
  const cell = cellOf(rows, col.source, i);
  if (cell === null) return [];
  if (col.type === 'bucketized') {
    const x = typeof cell === 'number' ? cell : Number(cell);
    if (Number.isNaN(x)) return [];
    const bucket = col.boundaries.filter((b) => b <= x).length + 1;
    const lo = bucket >= 2 ? String(col.boundaries[bucket - 2]) : '-inf';
    const hi = bucket - 1 < col.boundaries.length ? String(col.boundaries[bucket - 1]) : 'inf';
    return [{ token: String(bucket), shown: `[${lo}, ${hi})` }];
  }
  if (col.type === 'categorical') {
    const s = String(cell);
    const v = col.prefix !== null && col.prefix !== undefined ? [...s].slice(0, col.prefix).join('') : s;
    return [{ token: v, shown: v }];
  }
  const items = typeof cell === 'number' ? [String(cell)] : listItems(cell, col.separator);
  return items.map((t) => ({ token: t, shown: t }));
}

/** Row i of a column: a number (NaN read as missing), a string, a list; null when missing or absent. */
function cellOf(rows: RowChunk, source: string, i: number): number | string | readonly string[] | null {
  const v = rows.columns.get(source);
  if (v === undefined) return null;
  if (v instanceof Utf8Values) return v.get(i);
  if (v instanceof Float64Array) {
    const x = v[i] as number;
    return Number.isNaN(x) ? null : x;
  }
  return v[i] ?? null;
}
