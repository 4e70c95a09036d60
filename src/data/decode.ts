import type { DuckDBDataChunk, DuckDBListValue, DuckDBVector } from '@duckdb/node-api';
import type { ColumnSchema, ColumnValues } from './types.js';
import { sqlString } from './duckdb.js';

/**
 * Result-column layout of a scan query: numeric columns (DOUBLE, NaN for missing) first, then list columns
 * (VARCHAR[]), then string columns (VARCHAR), then the packed strings (all string columns joined by
 * US = \x1f, NULL written as RS = \x1e) when there are two or more string columns, then the row check
 * (VARCHAR: `field<US>message`, NULL for a good row, NUL for a row to drop silently such as a blank JSON line)
 * when there is any check.
 *
 * Packing exists for speed: decoding one string per row and splitting it in JS is ~2x faster than decoding
 * every VARCHAR cell through the DuckDB vector API (Adult: 240k -> 430k rows/s). A row whose values contain the
 * separator falls back to the per-cell path, so packing never changes a value.
 */
export interface DecodeLayout {
  readonly numeric: readonly number[];
  readonly list: readonly number[];
  readonly string: readonly number[];
  readonly packed: boolean;
  readonly error: boolean;
}

const US = '\x1f';
const RS = '\x1e';
export const DROP_ROW = '\x00';

/**
 * Builds the scan query for a schema: an inner SELECT computes every column from `from` (by `exprOf`) and the
 * format's own row check (`errorExpr`, VARCHAR or NULL); the outer SELECT orders the columns by the layout,
 * packs the strings, writes numeric NULL as NaN (a vector without NULLs decodes ~4x faster) and flags values
 * that are NaN or infinite in the file. Returns the layout and the SQL for a given FROM clause.
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
  const packed = string.length >= 2;
  const inner = schema.map((col, i) => `${exprOf(col)} AS __c${i}`);
  const formatError = errorExpr?.();
  if (formatError !== undefined) inner.push(`${formatError} AS __e`);
  const outer = [
    ...numeric.map((i) => `coalesce(__c${i}, 'NaN'::DOUBLE)`),
    ...list.map((i) => `__c${i}`),
    ...string.map((i) => `__c${i}`),
  ];
  if (packed) {
    // A value that is itself the NULL marker makes the row's packed string NULL: it is then decoded per cell.
    const clash = string.map((i) => `__c${i} = chr(30)`).join(' OR ');
    outer.push(`CASE WHEN coalesce(${clash}, false) THEN NULL ELSE concat_ws(chr(31), ${string.map((i) => `coalesce(__c${i}, chr(30))`).join(', ')}) END`);
  }
  const checks = numeric.map((i) => {
    const name = (schema[i] as ColumnSchema).name;
    return `WHEN NOT isfinite(__c${i}) THEN ${sqlString(`${name}${US}value `)} || CAST(__c${i} AS VARCHAR) || ${sqlString(` in numeric column ${name} is not finite`)}`;
  });
  if (formatError !== undefined) checks.unshift('WHEN __e IS NOT NULL THEN __e');
  const error = checks.length > 0;
  if (error) outer.push(`CASE ${checks.join(' ')} END`);
  return {
    layout: { numeric, list, string, packed, error },
    sql: (from) => `SELECT ${outer.join(', ')} FROM (SELECT ${inner.join(', ')} FROM ${from})`,
  };
}

/** A problem found while decoding one row. */
export interface RowProblem {
  readonly field?: string;
  readonly reason: string;
  /** Drop without counting (blank line). */
  readonly silent?: boolean;
}

export interface DecodedBlock {
  readonly n: number;
  /** One values array per schema column, in schema order. */
  readonly values: ColumnValues[];
  /** Problem of each row, or undefined when every row is fine. */
  readonly problems: (RowProblem | undefined)[] | undefined;
}

/** Decodes one DuckDB result chunk into columnar JS values. */
export function decodeChunk(chunk: DuckDBDataChunk, schema: readonly ColumnSchema[], layout: DecodeLayout): DecodedBlock {
  const n = chunk.rowCount;
  const values: ColumnValues[] = new Array<ColumnValues>(schema.length);
  let problems: (RowProblem | undefined)[] | undefined;
  const flag = (r: number, p: RowProblem): void => {
    problems ??= new Array<RowProblem | undefined>(n).fill(undefined);
    problems[r] ??= p;
  };
  let col = 0;
  for (const si of layout.numeric) {
    const vec = chunk.getColumnVector(col++) as DuckDBVector<number>;
    const out = new Float64Array(n);
    for (let r = 0; r < n; r++) out[r] = vec.getItem(r) ?? NaN;
    values[si] = out;
  }
  for (const si of layout.list) {
    const vec = chunk.getColumnVector(col++) as DuckDBVector<DuckDBListValue>;
    const out = new Array<readonly string[] | null>(n);
    for (let r = 0; r < n; r++) {
      const v = vec.getItem(r);
      out[r] = v === null ? null : v.items.filter((x) => x !== null).map(String);
    }
    values[si] = out;
  }
  const stringVecs = layout.string.map(() => chunk.getColumnVector(col++) as DuckDBVector<string>);
  const stringOuts = layout.string.map(() => new Array<string | null>(n));
  if (layout.packed) {
    const packedVec = chunk.getColumnVector(col++) as DuckDBVector<string>;
    decodePacked(packedVec, stringVecs, stringOuts, n);
  } else {
    stringVecs.forEach((vec, k) => {
      const out = stringOuts[k] as (string | null)[];
      for (let r = 0; r < n; r++) out[r] = vec.getItem(r);
    });
  }
  layout.string.forEach((si, k) => {
    values[si] = stringOuts[k] as (string | null)[];
  });
  if (layout.error) {
    const vec = chunk.getColumnVector(col++) as DuckDBVector<string>;
    for (let r = 0; r < n; r++) {
      const e = vec.getItem(r);
      if (e === null) continue;
      if (e === DROP_ROW) {
        flag(r, { reason: 'blank line', silent: true });
        continue;
      }
      const cut = e.indexOf(US);
      flag(r, cut >= 0 ? { field: e.slice(0, cut), reason: e.slice(cut + 1) } : { reason: e });
    }
  }
  return { n, values, problems };
}

function decodePacked(packedVec: DuckDBVector<string>, vecs: DuckDBVector<string>[], outs: (string | null)[][], n: number): void {
  const k = outs.length;
  for (let r = 0; r < n; r++) {
    const packed = packedVec.getItem(r);
    let at = 0;
    let j = 0;
    if (packed !== null) {
      for (; j < k; j++) {
        const end = j === k - 1 ? packed.length : packed.indexOf(US, at);
        if (end < 0 || (j === k - 1 && packed.indexOf(US, at) >= 0)) break;
        const part = packed.slice(at, end);
        (outs[j] as (string | null)[])[r] = part === RS ? null : part;
        at = end + 1;
      }
    }
    if (j === k) continue;
    // NULL (a value equal to the NULL marker) or a value containing the separator: decode cell by cell.
    for (let c = 0; c < k; c++) (outs[c] as (string | null)[])[r] = (vecs[c] as DuckDBVector<string>).getItem(r);
  }
}
