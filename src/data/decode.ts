import type { DuckDBDataChunk, DuckDBListValue, DuckDBVector } from '@duckdb/node-api';
import type { ColumnSchema, ColumnValues } from './types.js';
import { DecodeBuffers, decodeStringColumn, stringColumnSql } from './decode-strings.js';
import { doubleItems, isValid, rawVector, validityBytes } from './duckdb-vectors.js';

/**
 * Result-column layout of a scan query: numeric columns (DOUBLE) first, then list columns (VARCHAR[]), then
 * string columns (their UTF-8 bytes as BLOB: decode-strings.ts says why), then the format's row check
 * (VARCHAR: `field<US>message`, NULL for a good row)
 * when the format has one.
 */
export interface DecodeLayout {
  readonly numeric: readonly number[];
  readonly list: readonly number[];
  readonly string: readonly number[];
  readonly error: boolean;
}

const US = '\x1f';

/**
 * Builds the scan query for a schema: an inner SELECT computes every column from `from` (by `exprOf`) and the
 * format's own row check (`errorExpr`, VARCHAR or NULL); the outer SELECT orders the columns by the layout.
 * Missing numbers (NULL) and values that are NaN or infinite in the file are told apart while decoding, from
 * the validity mask: in SQL (coalesce to NaN, a CASE of isfinite checks) they cost DuckDB ~20% more time on
 * Criteo's 13 numeric columns. Returns the layout and the SQL for a given FROM clause.
 */
export function buildScan(
  schema: readonly ColumnSchema[],
  exprOf: (col: ColumnSchema) => string,
  errorExpr?: () => string | undefined,
): { layout: DecodeLayout; sql: (from: string) => string } {
  const idx = (kind: ColumnSchema['kind']): number[] => schema.flatMap((c, i) => (c.kind === kind ? [i] : []));
  const numeric = idx('numeric');
  const list = idx('list');
  const string = idx('categorical');
  const inner = schema.map((col, i) => `${exprOf(col)} AS __c${i}`);
  const formatError = errorExpr?.();
  if (formatError !== undefined) inner.push(`${formatError} AS __e`);
  const outer = [...numeric.map((i) => `CAST(__c${i} AS DOUBLE)`), ...list.map((i) => `__c${i}`), ...string.map((i) => stringColumnSql(`__c${i}`))];
  const error = formatError !== undefined;
  if (error) outer.push('__e');
  return {
    layout: { numeric, list, string, error },
    sql: (from) => `SELECT ${outer.join(', ')} FROM (SELECT ${inner.join(', ')} FROM ${from})`,
  };
}

/** A problem found while decoding one row. */
export interface RowProblem {
  readonly field?: string;
  readonly reason: string;
}

/**
 * One decoded result chunk. Its numeric and string values live in the DecodeBuffers passed to `decodeChunk`:
 * valid until the next call with the same buffers, so copy what is kept (the reader's ChunkBuilder does).
 */
export interface DecodedBlock {
  readonly n: number;
  /** One values array per schema column, in schema order. */
  readonly values: ColumnValues[];
  /** Problem of each row, or undefined when every row is fine. */
  readonly problems: (RowProblem | undefined)[] | undefined;
}

export { DecodeBuffers };

/** Decodes one DuckDB result chunk into columnar JS values, written into `buffers` (see DecodedBlock). */
export function decodeChunk(chunk: DuckDBDataChunk, schema: readonly ColumnSchema[], layout: DecodeLayout, buffers: DecodeBuffers): DecodedBlock {
  const n = chunk.rowCount;
  const values: ColumnValues[] = new Array<ColumnValues>(schema.length);
  let problems: (RowProblem | undefined)[] | undefined;
  const flag = (r: number, p: RowProblem): void => {
    problems ??= new Array<RowProblem | undefined>(n).fill(undefined);
    problems[r] ??= p;
  };
  // The format's check first: it names a row's first problem, as it did when the numeric checks were in SQL.
  if (layout.error) {
    const vec = chunk.getColumnVector(layout.numeric.length + layout.list.length + layout.string.length) as DuckDBVector<string>;
    for (let r = 0; r < n; r++) {
      const e = vec.getItem(r);
      if (e === null) continue;
      const cut = e.indexOf(US);
      flag(r, cut >= 0 ? { field: e.slice(0, cut), reason: e.slice(cut + 1) } : { reason: e });
    }
  }
  let col = 0;
  layout.numeric.forEach((si, k) => {
    const name = (schema[si] as ColumnSchema).name;
    values[si] = decodeNumeric(chunk, col++, buffers.doubles(k, n), (r, x) => flag(r, nonFinite(name, x)));
  });
  for (const si of layout.list) {
    const vec = chunk.getColumnVector(col++) as DuckDBVector<DuckDBListValue>;
    const out = new Array<readonly string[] | null>(n);
    for (let r = 0; r < n; r++) {
      const v = vec.getItem(r);
      out[r] = v === null ? null : v.items.filter((x) => x !== null).map(String);
    }
    values[si] = out;
  }
  layout.string.forEach((si, k) => {
    values[si] = decodeStringColumn(chunk, col++, n, k, buffers);
  });
  return { n, values, problems };
}

/**
 * Column `col` of a chunk (DOUBLE) into `out`, NaN where the value is missing (NULL); `bad` gets every row whose
 * value in the file is NaN or infinite. The raw doubles are copied in one go when they can be read
 * (duckdb-vectors.ts).
 */
function decodeNumeric(chunk: DuckDBDataChunk, col: number, out: Float64Array, bad: (r: number, x: number) => void): Float64Array {
  const n = out.length;
  let mask: Uint8Array | null | undefined;
  const raw = rawVector(chunk, col, n * 8, n);
  if (raw !== undefined) {
    new Uint8Array(out.buffer, out.byteOffset, n * 8).set(raw.data);
    mask = raw.mask;
  } else {
    const vec = chunk.getColumnVector(col) as DuckDBVector<number>;
    const items = doubleItems(vec, n);
    mask = validityBytes(vec, n);
    if (items === undefined || mask === undefined) return decodeNumericSlow(vec, out, bad);
    out.set(items);
  }
  for (let r = 0; r < n; r++) {
    if (!isValid(mask, r)) out[r] = NaN;
    else {
      const x = out[r]!;
      if (x - x !== 0) bad(r, x);
    }
  }
  return out;
}

/** Every value through the public accessor (a vector without the expected private fields). */
function decodeNumericSlow(vec: DuckDBVector<number>, out: Float64Array, bad: (r: number, x: number) => void): Float64Array {
  for (let r = 0; r < out.length; r++) {
    const x = vec.getItem(r);
    if (x === null) out[r] = NaN;
    else {
      out[r] = x;
      if (x - x !== 0) bad(r, x);
    }
  }
  return out;
}

/** The problem of a value that is NaN or infinite in the file (as DuckDB writes them: nan, inf, -inf). */
function nonFinite(name: string, x: number): RowProblem {
  const text = x === Infinity ? 'inf' : x === -Infinity ? '-inf' : 'nan';
  return { field: name, reason: `value ${text} in numeric column ${name} is not finite` };
}
