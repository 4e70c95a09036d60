import { WideDeepError } from '../core/errors.js';
import type { ColumnValues, RowChunk } from '../data/types.js';
import { Utf8Values } from '../data/utf8-values.js';
import type { BadRowPolicy } from './resolved.js';

/**
 * Typed access to the columns of a RowChunk with errors that name the source, row, column and value, and the
 * bad-row sink that applies the `onBadRow` policy. Shared by fit and transform so both judge rows alike.
 */

export type StringValues = readonly (string | null)[];
export type ListValues = readonly (readonly string[] | string | null)[];

/**
 * An error about one value: names the source file, its 1-based row, the data column (`field`) and the value,
 * and the feature column reading it when its name differs.
 */
export function rowError(chunk: RowChunk, i: number, column: string, message: string, fix: string, feature?: string): WideDeepError {
  const by = feature !== undefined && feature !== column ? ` (read by feature '${feature}')` : '';
  return new WideDeepError('DATA', `column '${column}'${by}: ${message}`, {
    file: chunk.source,
    row: chunk.rowNumbers[i] ?? i + 1,
    field: column,
    fix,
  });
}

export function showValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return JSON.stringify(v);
  return String(v);
}

/** Throws unless every named data column is in the chunk; the error lists the available columns. */
export function requireColumns(chunk: RowChunk, needed: readonly { source: string; usedBy: string }[]): void {
  for (const { source, usedBy } of needed) {
    if (!chunk.columns.has(source)) {
      const available = [...chunk.columns.keys()];
      throw new WideDeepError('DATA', `column '${source}' (used by ${usedBy}) is not in the data; available columns: ${available.join(', ')}`, {
        file: chunk.source,
        field: source,
        fix: `fix the column name in the feature config, or add '${source}' to the data`,
      });
    }
  }
}

function get(chunk: RowChunk, source: string): ColumnValues {
  const v = chunk.columns.get(source);
  if (v === undefined) requireColumns(chunk, [{ source, usedBy: 'a feature column' }]);
  return v as ColumnValues;
}

function firstNonNull(values: readonly unknown[]): number {
  for (let i = 0; i < values.length; i++) if (values[i] !== null && values[i] !== undefined) return i;
  return -1;
}

const allMissingCache = new WeakMap<ColumnValues, Float64Array>();

/**
 * A numeric column as Float64Array (NaN = missing). A string or list column is an error naming its first
 * value, except a column of nulls only (a single serving row with a missing value), which reads as all NaN.
 */
export function numericColumn(chunk: RowChunk, source: string, column: string): Float64Array {
  const values = get(chunk, source);
  if (values instanceof Float64Array) return values;
  const v = values instanceof Utf8Values ? values.strings() : values;
  const first = firstNonNull(v);
  if (first >= 0) {
    const notNumber = v.findIndex((x) => x !== null && x !== undefined && (typeof x !== 'string' || x.trim() === '' || !Number.isFinite(Number(x))));
    const i = notNumber >= 0 ? notNumber : first;
    const what = typeof v[i] === 'string' ? 'the string' : 'the list';
    throw rowError(chunk, i, source, `expected a number, got ${what} ${showValue(v[i])} (the data column is not numeric)`, `make '${source}' a numeric column in the data (missing values as NaN/null), or use a categorical column for it`, column);
  }
  let nan = allMissingCache.get(values);
  if (nan === undefined) {
    nan = new Float64Array(v.length).fill(NaN);
    allMissingCache.set(values, nan);
  }
  return nan;
}

/**
 * A single-valued categorical column: strings (null = missing), the same as UTF-8 bytes, or numbers (NaN =
 * missing). Lists are an error.
 */
export function scalarColumn(chunk: RowChunk, source: string, column: string): StringValues | Utf8Values | Float64Array {
  const v = get(chunk, source);
  if (v instanceof Float64Array || v instanceof Utf8Values) return v;
  const i = firstNonNull(v);
  if (i >= 0 && typeof v[i] !== 'string') {
    throw rowError(chunk, i, source, `expected a single value, got the list ${showValue(v[i])}`, `use a multi-valued column for list data column '${source}'`, column);
  }
  return v as StringValues;
}

/**
 * A list column: arrays of strings (null = missing), or strings split on `separator` when one is declared.
 * Numbers, and strings without a separator, are an error.
 */
export function listColumn(chunk: RowChunk, source: string, column: string, separator: string | null): ListValues {
  const values = get(chunk, source);
  const v = values instanceof Utf8Values ? values.strings() : values;
  if (v instanceof Float64Array) {
    throw rowError(chunk, 0, source, `expected a list of values, got the number ${showValue(v[0])}`, `use a categorical column for numeric data column '${source}'`, column);
  }
  if (separator === null) {
    const i = v.findIndex((x) => typeof x === 'string');
    if (i >= 0) {
      throw rowError(chunk, i, source, `expected a list of values, got the string ${showValue(v[i])}`, `declare a separator (e.g. separator: '|') to split strings, or give lists`, column);
    }
  }
  return v as ListValues;
}

/** The values of one list cell: its items, `separator`-split when it is a string, [] when missing. */
export function listItems(cell: readonly string[] | string | null, separator: string | null): readonly string[] {
  if (cell === null) return [];
  if (typeof cell === 'string') return cell === '' ? [] : cell.split(separator as string);
  return cell;
}

/**
 * The fix of a bad row's error for rows scored whole (a serving request, `predictRows`): `onBadRow: skip` is a
 * training and reading policy that a request cannot use, so the advice to set it is dropped, and a missing
 * value is something to send rather than a strategy to declare (that needs a retrained model).
 */
export function requestFix(err: WideDeepError): WideDeepError {
  const fix = err.details.fix;
  if (fix === undefined) return err;
  const column = err.details.field;
  const reworded = fix.startsWith('declare missing:')
    ? `send a number for column '${column}' in every row: the model was trained with no missing strategy for it (to accept missing values, declare missing: { strategy: ... } on it and retrain)`
    : fix.replace(/,? or set onBadRow: skip[^,;)]*$/, '');
  return reworded === fix ? err : new WideDeepError(err.code, err.reason, { ...err.details, fix: reworded });
}

/**
 * Collects bad rows under the `onBadRow` policy. 'skip' marks rows to leave out; 'error' keeps the error of the
 * earliest bad row, which `throwIfError` throws once every check has run (worded by `requestFix` when the rows
 * are a request, `rowsScoredWhole`).
 */
export class BadRows {
  mask: Uint8Array | null = null;
  count = 0;
  firstReason: string | null = null;
  private errorRow = Infinity;
  private error: (() => WideDeepError) | null = null;

  constructor(
    private readonly numRows: number,
    private readonly policy: BadRowPolicy,
    private readonly rowsScoredWhole = false,
  ) {}

  mark(i: number, error: () => WideDeepError): void {
    if (this.policy === 'error') {
      if (i < this.errorRow) {
        this.errorRow = i;
        this.error = error;
      }
      return;
    }
    if (this.mask === null) this.mask = new Uint8Array(this.numRows);
    if (this.mask[i] === 1) return;
    this.mask[i] = 1;
    this.count++;
    if (i < this.errorRow) {
      this.errorRow = i;
      this.firstReason = error().message;
    }
  }

  throwIfError(): void {
    if (this.error === null) return;
    const err = this.error();
    throw this.rowsScoredWhole ? requestFix(err) : err;
  }

  /** Indices of the rows kept, or null when every row is kept. */
  keptRows(): Int32Array | null {
    this.throwIfError();
    const mask = this.mask;
    if (mask === null) return null;
    const out = new Int32Array(this.numRows - this.count);
    let k = 0;
    for (let i = 0; i < this.numRows; i++) if (mask[i] === 0) out[k++] = i;
    return out;
  }
}
