import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WideDeepError } from '../../src/core/errors.js';
import { entryAt } from '../../src/data/chunk.js';
import type { ColumnValues, RowChunk } from '../../src/data/types.js';
import type { FeatureConfig } from '../../src/features/index.js';
import { DATA_DIR, hasData } from '../helpers/shared-data.js';

/** A RowChunk from columns given as plain arrays: number arrays become Float64Array (null -> NaN). */
export function chunkOf(columns: Record<string, readonly unknown[]>, source = 'fixture.csv'): RowChunk {
  const map = new Map<string, ColumnValues>();
  let numRows = 0;
  for (const [name, values] of Object.entries(columns)) {
    numRows = values.length;
    const numeric = values.every((v) => v === null || typeof v === 'number');
    if (numeric && values.some((v) => v !== null)) map.set(name, Float64Array.from(values, (v) => (v === null ? NaN : (v as number))));
    else map.set(name, values as ColumnValues);
  }
  return { numRows, columns: map, source, rowNumbers: Int32Array.from({ length: numRows }, (_, i) => i + 2) };
}

/** Async iterable over chunks (what fit reads). */
export async function* streamOf(...chunks: RowChunk[]): AsyncIterable<RowChunk> {
  for (const c of chunks) yield c;
}

/** The row at index i of a chunk as a JSON-like object (serving form). */
export function rowObject(chunk: RowChunk, i: number): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [name, values] of chunk.columns) {
    const v = entryAt(values, i);
    o[name] = typeof v === 'number' ? (Number.isNaN(v) ? null : v) : v;
  }
  return o;
}

export const ADULT_COLUMNS = [
  'age', 'workclass', 'fnlwgt', 'education', 'education_num', 'marital_status', 'occupation', 'relationship',
  'race', 'sex', 'capital_gain', 'capital_loss', 'hours_per_week', 'native_country', 'income',
] as const;
const ADULT_NUMERIC = new Set(['age', 'fnlwgt', 'education_num', 'capital_gain', 'capital_loss', 'hours_per_week']);
export const ADULT_DIR = join(DATA_DIR, 'adult');
export const adultAvailable = (): boolean => hasData('adult/adult.data');

/** Tiny local CSV split of an Adult file (', ' separators, '?' kept as a category, test-file comment skipped). */
export function parseAdult(file: string, chunkRows = 8192): RowChunk[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const rows: { line: number; fields: string[] }[] = [];
  lines.forEach((l, i) => {
    if (l.trim() === '' || l.startsWith('|')) return;
    rows.push({ line: i + 1, fields: l.split(',').map((f) => f.trim()) });
  });
  const chunks: RowChunk[] = [];
  for (let start = 0; start < rows.length; start += chunkRows) {
    const part = rows.slice(start, start + chunkRows);
    const columns = new Map<string, ColumnValues>();
    ADULT_COLUMNS.forEach((name, j) => {
      if (ADULT_NUMERIC.has(name)) columns.set(name, Float64Array.from(part, (r) => Number(r.fields[j])));
      else columns.set(name, part.map((r) => r.fields[j] ?? null));
    });
    chunks.push({ numRows: part.length, columns, source: file, rowNumbers: Int32Array.from(part, (r) => r.line) });
  }
  return chunks;
}

/** An Adult-like spec: 9 categorical (2 hashed, 1 bucketized), 3 crosses, 5 numerics, binary label. */
export const ADULT_CONFIG: FeatureConfig = {
  columns: [
    { type: 'categorical', name: 'workclass' },
    { type: 'categorical', name: 'education', vocabulary: { minCount: 5 } },
    { type: 'categorical', name: 'marital_status' },
    { type: 'categorical', name: 'occupation', hashBuckets: 100 },
    { type: 'categorical', name: 'relationship' },
    { type: 'categorical', name: 'race' },
    { type: 'categorical', name: 'sex', feeds: ['wide'] },
    { type: 'categorical', name: 'native_country', hashBuckets: 1000, embeddingDim: 8 },
    { type: 'bucketized', name: 'age_buckets', source: 'age', boundaries: [18, 25, 30, 35, 40, 45, 50, 55, 60, 65] },
    { type: 'crossed', name: 'education_x_occupation', components: ['education', 'occupation'], hashBuckets: 1000 },
    { type: 'crossed', name: 'age_x_education_x_occupation', components: ['age_buckets', 'education', 'occupation'], hashBuckets: 1000 },
    { type: 'crossed', name: 'native_country_x_occupation', components: ['native_country', 'occupation'], vocabulary: { minCount: 2 } },
    { type: 'numeric', name: 'age', normalize: 'standardize' },
    { type: 'numeric', name: 'education_num', normalize: 'standardize' },
    { type: 'numeric', name: 'capital_gain', log1p: true, normalize: 'standardize' },
    { type: 'numeric', name: 'capital_loss', normalize: 'quantile', numQuantiles: 10 },
    { type: 'numeric', name: 'hours_per_week', clip: { min: 1, max: 80 }, normalize: 'standardize' },
  ],
  label: { kind: 'binary', column: 'income', positive: ['>50K', '>50K.'], negative: ['<=50K', '<=50K.'] },
};

/** The WideDeepError thrown by fn (fails the test when fn does not throw one). */
export function errorOf(fn: () => unknown): WideDeepError {
  try {
    fn();
  } catch (e) {
    if (e instanceof WideDeepError) return e;
    throw e;
  }
  throw new Error('expected a WideDeepError, nothing was thrown');
}

export async function errorOfAsync(fn: () => Promise<unknown>): Promise<WideDeepError> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof WideDeepError) return e;
    throw e;
  }
  throw new Error('expected a WideDeepError, nothing was thrown');
}
