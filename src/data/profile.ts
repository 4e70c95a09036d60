import { valuesArray } from './chunk.js';
import type { ReadOptions } from './options.js';
import { openTable } from './reader.js';
import type { ColumnKind, RowChunk } from './types.js';

/**
 * What a table's columns hold, as `widedeep init` reads it to write a config: per column its kind (as the
 * DuckDB reader decoded it), missing rate, distinct count, the most frequent values, and for numeric columns
 * the range, mean, standard deviation, skewness and quantiles.
 */
export interface ColumnProfile {
  readonly name: string;
  readonly kind: ColumnKind;
  readonly rows: number;
  /** Rows where the value is missing (null, NaN, an empty list). */
  readonly missing: number;
  /** Distinct present values (list columns: distinct items). */
  readonly distinct: number;
  /** Present values by count, most frequent first (at most TOP_VALUES). */
  readonly top: readonly { readonly value: string; readonly count: number }[];
  /** Numeric columns only. */
  readonly numeric?: NumericProfile;
}

export interface NumericProfile {
  readonly min: number;
  readonly max: number;
  readonly mean: number;
  readonly std: number;
  /** Third standardized moment: > 2 is a heavy right tail. */
  readonly skewness: number;
  /** Whether every present value is a whole number. */
  readonly integer: boolean;
  /** Fraction of present values equal to 0. */
  readonly zeros: number;
  /** quantile(q) of the present values (linear interpolation), q in [0, 1]. */
  readonly quantile: (q: number) => number;
}

export interface TableProfile {
  readonly source: string;
  readonly rows: number;
  readonly columns: readonly ColumnProfile[];
}

const TOP_VALUES = 20;

/** Reads a table with the project's reader (DuckDB) and profiles every column. */
export async function profileTable(options: ReadOptions): Promise<{ profile: TableProfile; rows: RowChunk }> {
  const reader = await openTable(options);
  const rows = await reader.readAll();
  return { profile: profileRows(rows), rows };
}

/** Profiles the columns of rows already read. */
export function profileRows(rows: RowChunk): TableProfile {
  const columns: ColumnProfile[] = [];
  for (const [name, values] of rows.columns) {
    const arr = valuesArray(values);
    if (arr instanceof Float64Array) columns.push(numericProfile(name, arr));
    else columns.push(stringProfile(name, arr));
  }
  return { source: rows.source, rows: rows.numRows, columns };
}

function topOf(counts: Map<string, number>): { value: string; count: number }[] {
  return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, TOP_VALUES).map(([value, count]) => ({ value, count }));
}

function stringProfile(name: string, arr: readonly (string | null)[] | readonly (readonly string[] | null)[]): ColumnProfile {
  const counts = new Map<string, number>();
  let missing = 0;
  let list = false;
  for (const v of arr) {
    if (v === null || (Array.isArray(v) && v.length === 0)) {
      missing += 1;
      continue;
    }
    if (Array.isArray(v)) {
      list = true;
      for (const item of v as readonly string[]) counts.set(item, (counts.get(item) ?? 0) + 1);
    } else counts.set(v as string, (counts.get(v as string) ?? 0) + 1);
  }
  return { name, kind: list ? 'list' : 'categorical', rows: arr.length, missing, distinct: counts.size, top: topOf(counts) };
}

function numericProfile(name: string, arr: Float64Array): ColumnProfile {
  const present = arr.filter((x) => !Number.isNaN(x)).sort();
  const n = present.length;
  const counts = new Map<string, number>();
  let sum = 0;
  let integer = true;
  let zeros = 0;
  for (const x of present) {
    sum += x;
    if (!Number.isInteger(x)) integer = false;
    if (x === 0) zeros += 1;
    const k = String(x);
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  const mean = n > 0 ? sum / n : Number.NaN;
  let m2 = 0;
  let m3 = 0;
  for (const x of present) {
    const d = x - mean;
    m2 += d * d;
    m3 += d * d * d;
  }
  const std = n > 0 ? Math.sqrt(m2 / n) : Number.NaN;
  const skewness = std > 0 ? m3 / n / std ** 3 : 0;
  const quantile = (q: number): number => {
    if (n === 0) return Number.NaN;
    const pos = Math.min(1, Math.max(0, q)) * (n - 1);
    const lo = Math.floor(pos);
    const hi = Math.min(n - 1, lo + 1);
    return (present[lo] as number) + (pos - lo) * ((present[hi] as number) - (present[lo] as number));
  };
  const numeric: NumericProfile = { min: present[0] ?? Number.NaN, max: present[n - 1] ?? Number.NaN, mean, std, skewness, integer, zeros: n > 0 ? zeros / n : 0, quantile };
  return { name, kind: 'numeric', rows: arr.length, missing: arr.length - n, distinct: counts.size, top: topOf(counts), numeric };
}
