import { WideDeepError } from '../core/errors.js';
import type { ColumnValues, RowChunk } from '../data/types.js';

export interface RowsToChunkOptions {
  /** Name for error messages (default 'rows'). */
  readonly source?: string;
  /** Row number of the first object (default 1); the others follow it. */
  readonly firstRowNumber?: number;
  /** The row number of each object, when they do not follow one another (JSON lines with blank lines skipped). */
  readonly rowNumbers?: ArrayLike<number>;
  /**
   * Columns the chunk has even when no object gives them: missing in every row (a serving request that leaves
   * a column out; `inputColumns(spec)` lists a model's). Default: only the objects' keys.
   */
  readonly columns?: readonly string[];
  /**
   * Columns whose values must be numbers (or null): another value is an error naming its row, where it would
   * otherwise turn the whole column into text that the transform refuses at its first row. Default none.
   */
  readonly numeric?: readonly string[];
  /**
   * Most distinct keys the objects may give (the `columns` added besides): past it, an error naming the row.
   * Each key becomes a column of `numRows` values, so a request of many rows each with keys of its own would
   * otherwise grow as keys x rows. Default: no limit.
   */
  readonly maxKeys?: number;
}

/** What the rows say of one column (see rowsToChunk). */
interface ColumnFacts {
  list: boolean | undefined;
  text: boolean;
  readonly numeric: boolean;
}

const VALUE_FIX = 'give numbers, strings, booleans, lists of strings, or null';
const ROW_FIX = 'give each row as a JSON object keyed by column: {"column": value, ...}';
const KEYS_FIX = 'send the model\'s input columns (GET /metadata lists them), not keys of every row\'s own';

/**
 * Builds a RowChunk from JSON-like objects (serving requests, JSON lines, tests), inferring each column's kind:
 * - its first present value is a list -> list column (items become strings; null/undefined -> missing);
 * - otherwise any value is a string or boolean -> string column (numbers become `String(x)`);
 * - otherwise -> Float64Array (null/undefined -> NaN).
 * A column of missing values only becomes a string column of nulls, which numeric columns read as NaN.
 * Rows are checked in order, so the error names the first bad row: one that is not an object (null, a number,
 * a string, a list), a value of no usable type, a list where the column's earlier rows hold single values (or
 * the reverse), or a value other than a number in a `numeric` column. Transform gives the same result for a
 * chunk of many rows and for the chunks of each row alone.
 */
export function rowsToChunk(objects: readonly unknown[], options: RowsToChunkOptions = {}): RowChunk {
  const source = options.source ?? 'rows';
  const n = objects.length;
  const rowNumbers = numbersOf(n, options);
  const numeric = new Set(options.numeric);
  const maxKeys = options.maxKeys ?? Infinity;
  const fail = (i: number, message: string, column?: string, fix?: string): never => {
    const at = { file: source, row: rowNumbers[i] as number };
    if (column === undefined) throw new WideDeepError('DATA', message, { ...at, fix: fix ?? ROW_FIX });
    throw new WideDeepError('DATA', `column '${column}': ${message}`, { ...at, field: column, fix: fix ?? VALUE_FIX });
  };
  // Per column, in first-seen order: whether its first present value is a list (undefined: no present value),
  // whether any value is text, and whether it must be numeric. A row with the previous row's keys in the same
  // order (a request's rows) finds its columns' facts by position, without a lookup.
  const names: string[] = [];
  const facts = new Map<string, ColumnFacts>();
  const factsOf = (name: string): ColumnFacts => {
    let f = facts.get(name);
    if (f === undefined) {
      f = { list: undefined, text: false, numeric: numeric.has(name) };
      facts.set(name, f);
      names.push(name);
    }
    return f;
  };
  // The previous row's keys and their columns' facts, by position (reused: nothing is allocated per row).
  const rowKeys: string[] = [];
  const rowFacts: ColumnFacts[] = [];
  let rowLength = 0;
  for (let i = 0; i < n; i++) {
    const o = objects[i] as Readonly<Record<string, unknown>>;
    const notObject = notAnObject(o);
    if (notObject !== null) fail(i, notObject);
    let j = 0;
    for (const name in o) {
      let f: ColumnFacts;
      if (j < rowLength && rowKeys[j] === name) f = rowFacts[j] as ColumnFacts;
      else {
        f = factsOf(name);
        if (names.length > maxKeys) fail(i, `the rows give more than ${maxKeys} distinct keys`, undefined, KEYS_FIX);
        rowKeys[j] = name;
        rowFacts[j] = f;
      }
      j++;
      const v = o[name];
      if (v === null || v === undefined) continue;
      if (typeof v !== 'number' && f.numeric) fail(i, `expected a number, got ${kindOf(v)}`, name, 'give a number, or null for a missing value');
      const list = Array.isArray(v);
      if (list) {
        const items = v as unknown[];
        for (let k = 0; k < items.length; k++) {
          const item = items[k];
          if (typeof item !== 'string' && typeof item !== 'number' && typeof item !== 'boolean') fail(i, `list items must be strings or numbers, got ${JSON.stringify(item)}`, name);
        }
      } else if (typeof v === 'string' || typeof v === 'boolean') f.text = true;
      else if (typeof v !== 'number') fail(i, `cannot use ${typeof v} value ${JSON.stringify(v)}`, name);
      if (f.list === undefined) f.list = list;
      else if (f.list !== list) fail(i, `mixes lists and single values (${JSON.stringify(v)})`, name);
    }
    rowLength = j;
  }
  for (const name of options.columns ?? []) factsOf(name);
  const rows = objects as readonly Readonly<Record<string, unknown>>[];
  const columns = new Map<string, ColumnValues>();
  for (const name of names) {
    const f = facts.get(name) as ColumnFacts;
    columns.set(name, columnOf(rows, name, f.list, f.text));
  }
  return { numRows: n, columns, source, rowNumbers };
}

/** One column's values from checked rows; `list` is undefined when no row gives a value. */
function columnOf(rows: readonly Readonly<Record<string, unknown>>[], name: string, list: boolean | undefined, strings: boolean): ColumnValues {
  const n = rows.length;
  // A row without the key would read it from Object.prototype where the name is one of its (`constructor`,
  // `toString`, `__proto__`): only a row's own value counts.
  const inherited = name in Object.prototype;
  const at = (i: number): unknown => {
    const row = rows[i] as Readonly<Record<string, unknown>>;
    return inherited && !Object.hasOwn(row, name) ? undefined : row[name];
  };
  if (list === true) {
    const out: (readonly string[] | null)[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const v = at(i) as unknown[] | null | undefined;
      out[i] = v === null || v === undefined ? null : allStrings(v) ? (v as string[]) : v.map((item) => String(item));
    }
    return out;
  }
  if (strings || list === undefined) {
    const out: (string | null)[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const v = at(i);
      out[i] = v === null || v === undefined ? null : String(v);
    }
    return out;
  }
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = at(i);
    out[i] = typeof v === 'number' ? v : NaN;
  }
  return out;
}

/** Whether every item is a string already (the list is then used as it is, not copied). */
function allStrings(items: readonly unknown[]): boolean {
  for (let k = 0; k < items.length; k++) if (typeof items[k] !== 'string') return false;
  return true;
}

function numbersOf(n: number, options: RowsToChunkOptions): Int32Array {
  const given = options.rowNumbers;
  if (given === undefined) {
    const first = options.firstRowNumber ?? 1;
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = first + i;
    return out;
  }
  if (options.firstRowNumber !== undefined) {
    throw new WideDeepError('CONFIG', 'rowsToChunk takes firstRowNumber or rowNumbers, not both', { field: 'rowNumbers', fix: 'give one of them' });
  }
  if (given.length !== n) {
    throw new WideDeepError('CONFIG', `rowsToChunk: ${given.length} row numbers for ${n} rows`, { field: 'rowNumbers', fix: 'give one row number per object' });
  }
  return Int32Array.from(given);
}

/** Why a row is not an object keyed by column ("not a JSON object, got null"), or null when it is one. */
export function notAnObject(row: unknown): string | null {
  return typeof row === 'object' && row !== null && !Array.isArray(row) ? null : `not a JSON object, got ${kindOf(row)}`;
}

/** What a value is, for messages: null, a list, a number (42), a string ("hello"). */
function kindOf(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (Array.isArray(v)) return 'a list';
  const text = JSON.stringify(v) ?? String(v);
  return `${typeof v === 'object' ? 'an' : 'a'} ${typeof v} (${text.length > 40 ? `${text.slice(0, 40)}...` : text})`;
}

/**
 * The chunk as rowsToChunk's `columns` and `numeric` options make it: the `columns` that no row gives appended
 * (all missing), with `source` as its name; undefined when a `numeric` column holds a value other than a number,
 * where rowsToChunk throws (the caller then takes the general path for that error, with its row and value).
 */
export function completeChunk(chunk: RowChunk, options: { readonly source: string; readonly columns: readonly string[]; readonly numeric: readonly string[] }): RowChunk | undefined {
  for (const name of options.numeric) {
    const values = chunk.columns.get(name);
    if (values === undefined || values instanceof Float64Array) continue;
    if (!Array.isArray(values)) return undefined;
    for (let i = 0; i < values.length; i++) if (values[i] !== null) return undefined;
  }
  const columns = new Map(chunk.columns);
  for (const name of options.columns) if (!columns.has(name)) columns.set(name, new Array<null>(chunk.numRows).fill(null));
  return { numRows: chunk.numRows, columns, source: options.source, rowNumbers: chunk.rowNumbers };
}
