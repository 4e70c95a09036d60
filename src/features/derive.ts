import type { ColumnValues, RowChunk } from '../data/types.js';
import { Utf8Values } from '../data/utf8-values.js';
import { scalarColumn } from './chunk-access.js';

/**
 * Columns computed from data columns before anything is encoded, so that fit, transform, crosses and serving
 * all read the same derived values. Today: a categorical column's `prefix` (the first n characters of every
 * value, e.g. the region of a zip code). The derived values travel as an extra column of the chunk, named
 * after its source and prefix, which the column's encoder reads instead of the source.
 */

interface PrefixedColumn {
  readonly type: string;
  readonly name: string;
  readonly source?: string;
  readonly prefix?: number | null | undefined;
}

interface CategoricalLike extends PrefixedColumn {
  readonly source: string;
}

/** The chunk column a categorical column's encoder reads: its source, or the derived prefix column. */
export function readSource(c: CategoricalLike): string {
  return c.prefix === undefined || c.prefix === null ? c.source : `${c.source}[:${c.prefix}]`;
}

/** The first `n` characters (code points, so a surrogate pair is never cut) of `s`. */
export function prefixOf(s: string, n: number): string {
  if (s.length <= n) return s;
  let i = 0;
  for (let k = 0; k < n && i < s.length; k++) {
    const c = s.charCodeAt(i);
    i += c >= 0xd800 && c <= 0xdbff && i + 1 < s.length ? 2 : 1;
  }
  return s.slice(0, i);
}

/** The chunk with every derived column the spec's columns read added (the same chunk when there is none). */
export function withDerivedColumns(chunk: RowChunk, columns: readonly PrefixedColumn[]): RowChunk {
  const added = new Map<string, ColumnValues>();
  for (const col of columns) {
    if (col.type !== 'categorical' || col.source === undefined) continue;
    const c = col as CategoricalLike;
    const name = readSource(c);
    if (name === c.source || chunk.columns.has(name) || added.has(name)) continue;
    const n = c.prefix as number;
    const values = scalarColumn(chunk, c.source, c.name);
    const out = new Array<string | null>(chunk.numRows);
    if (values instanceof Float64Array) {
      for (let i = 0; i < out.length; i++) out[i] = values[i] !== values[i] ? null : prefixOf(String(values[i]), n);
    } else {
      const strings = values instanceof Utf8Values ? values.strings() : values;
      for (let i = 0; i < out.length; i++) {
        const s = strings[i];
        out[i] = s === null || s === undefined ? null : prefixOf(s, n);
      }
    }
    added.set(name, out);
  }
  if (added.size === 0) return chunk;
  return { ...chunk, columns: new Map([...chunk.columns, ...added]) };
}
