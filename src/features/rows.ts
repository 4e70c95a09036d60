import { WideDeepError } from '../core/errors.js';
import type { ColumnValues, RowChunk } from '../data/types.js';

export interface RowsToChunkOptions {
  /** Name for error messages (default 'rows'). */
  readonly source?: string;
  /** Row number of the first object (default 1). */
  readonly firstRowNumber?: number;
  /**
   * Columns the chunk has even when no object gives them: missing in every row (a serving request that leaves
   * a column out; `inputColumns(spec)` lists a model's). Default: only the objects' keys.
   */
  readonly columns?: readonly string[];
}

/**
 * Builds a RowChunk from JSON-like objects (serving requests, tests), inferring each column's kind:
 * - any value is a list -> list column (items become strings; null/undefined -> missing);
 * - otherwise any value is a string or boolean -> string column (numbers become `String(x)`);
 * - otherwise -> Float64Array (null/undefined -> NaN).
 * A column of missing values only becomes a string column of nulls, which numeric columns read as NaN.
 * Transform gives the same result for a chunk made of many rows and for the chunks of each row alone.
 */
export function rowsToChunk(objects: readonly Readonly<Record<string, unknown>>[], options: RowsToChunkOptions = {}): RowChunk {
  const source = options.source ?? 'rows';
  const first = options.firstRowNumber ?? 1;
  const n = objects.length;
  const names: string[] = [];
  const seen = new Set<string>();
  const add = (k: string): void => {
    if (!seen.has(k)) {
      seen.add(k);
      names.push(k);
    }
  };
  for (const o of objects) for (const k of Object.keys(o)) add(k);
  for (const k of options.columns ?? []) add(k);
  const fail = (i: number, column: string, message: string): never => {
    throw new WideDeepError('DATA', `column '${column}': ${message}`, {
      file: source,
      row: first + i,
      field: column,
      fix: 'give numbers, strings, booleans, lists of strings, or null',
    });
  };
  const columns = new Map<string, ColumnValues>();
  for (const name of names) {
    let lists = false;
    let strings = false;
    let any = false;
    for (let i = 0; i < n; i++) {
      const v = objects[i]?.[name];
      if (v === null || v === undefined) continue;
      any = true;
      if (Array.isArray(v)) lists = true;
      else if (typeof v === 'string' || typeof v === 'boolean') strings = true;
      else if (typeof v !== 'number') fail(i, name, `cannot use ${typeof v} value ${JSON.stringify(v)}`);
    }
    if (lists) {
      const out: (readonly string[] | null)[] = new Array(n);
      for (let i = 0; i < n; i++) {
        const v = objects[i]?.[name];
        if (v === null || v === undefined) out[i] = null;
        else if (!Array.isArray(v)) out[i] = fail(i, name, `mixes lists and single values (${JSON.stringify(v)})`);
        else {
          out[i] = v.map((item: unknown) => {
            if (typeof item === 'string') return item;
            if (typeof item === 'number' || typeof item === 'boolean') return String(item);
            return fail(i, name, `list items must be strings or numbers, got ${JSON.stringify(item)}`);
          });
        }
      }
      columns.set(name, out);
    } else if (strings || !any) {
      const out: (string | null)[] = new Array(n);
      for (let i = 0; i < n; i++) {
        const v = objects[i]?.[name];
        out[i] = v === null || v === undefined ? null : String(v);
      }
      columns.set(name, out);
    } else {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const v = objects[i]?.[name];
        out[i] = typeof v === 'number' ? v : NaN;
      }
      columns.set(name, out);
    }
  }
  const rowNumbers = new Int32Array(n);
  for (let i = 0; i < n; i++) rowNumbers[i] = first + i;
  return { numRows: n, columns, source, rowNumbers };
}
