import type { LoadedBundle } from '../artifact/bundle-model.js';
import { WideDeepError } from '../core/errors.js';
import { entryAt } from '../data/chunk.js';
import type { RowChunk } from '../data/types.js';
import { inputColumns } from '../features/checks.js';
import type { FittedColumn, FittedSpec } from '../features/fitted-spec.js';
import { loadRunData } from '../train/run-data.js';
import { parseRunConfig } from '../train/run-config.js';

/**
 * The row the what-if form starts from: a row of the bundle's own test split when its config's data can be
 * read here (the synthetic generator always can; a dataset or files only where they are on this machine),
 * else a row built from the spec (each vocabulary's first value, each numeric column's training mean, a
 * bucketized column's middle boundary). Stream-mode data is not read (it may be any size): spec row.
 */

export interface ExampleRow {
  /** The row, keyed by input column (what `predict` and `explain` take). */
  readonly row: Record<string, unknown>;
  /** `test` (from the test split) or `spec` (built from the fitted spec). */
  readonly from: 'test' | 'spec';
  /** Where the row came from, in words: the split's source and row number, or why the spec was used. */
  readonly note: string;
}

/** A plain JSON value of a chunk entry: NaN (a missing number) as null, lists copied. */
function jsonValue(v: ReturnType<typeof entryAt>): unknown {
  if (v === undefined || v === null) return null;
  if (typeof v === 'number') return Number.isNaN(v) ? null : v;
  return typeof v === 'string' ? v : [...v];
}

/** Row `index` of a chunk as a JSON row of the spec's input columns. */
export function rowOfChunk(chunk: RowChunk, spec: FittedSpec, index: number): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const name of inputColumns(spec)) {
    const values = chunk.columns.get(name);
    row[name] = values === undefined ? null : jsonValue(entryAt(values, index));
  }
  return row;
}

function middle(xs: readonly number[]): number {
  return xs.length === 0 ? 0 : (xs[Math.floor((xs.length - 1) / 2)] as number);
}

/** A value for a column from what its fitted spec holds. */
function specValue(c: FittedColumn): unknown {
  switch (c.type) {
    case 'numeric':
      if (c.normalize.kind === 'standardize') return c.normalize.mean;
      if (c.normalize.kind === 'quantile') return middle(c.normalize.boundaries);
      return c.clip !== null ? (c.clip.min + c.clip.max) / 2 : 0;
    case 'bucketized':
      return middle(c.boundaries);
    case 'crossed':
      return null;
    default: {
      const first = c.encoding.kind === 'vocabulary' ? (c.encoding.values[0] ?? 'example') : c.encoding.kind === 'identity' ? 1 : 'example';
      return c.type === 'categorical' ? first : [String(first)];
    }
  }
}

/** A row built from the spec alone: the first column reading each input decides its value. */
export function specRow(spec: FittedSpec): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const c of spec.columns) if (c.type !== 'crossed' && !(c.source in row)) row[c.source] = specValue(c);
  return row;
}

/** A bundle's test split as read here, or why it could not be (then the form starts from the spec row). */
export type TestSplit = { readonly chunk: RowChunk } | { readonly why: string };

/** Reads the test split of the bundle's config (`file` names the manifest in errors); never throws for data it cannot read. */
export async function readTestSplit(b: LoadedBundle, file: string): Promise<TestSplit> {
  let config;
  try {
    config = parseRunConfig(b.manifest.config, file);
  } catch (err) {
    if (err instanceof WideDeepError) return { why: `the bundle's config does not parse here (${err.reason})` };
    throw err;
  }
  if (config.data.stream !== undefined) return { why: 'stream-mode data is not read for one row' };
  try {
    const { test } = await loadRunData(config.data, config.seed, b.spec);
    return test.numRows === 0 ? { why: 'the test split is empty' } : { chunk: test };
  } catch (err) {
    if (err instanceof WideDeepError) return { why: `the training data could not be read here (${err.reason})` };
    throw err;
  }
}

/** Test row `index` (0-based, wrapped to the split's size), or the spec row with the reason. */
export function exampleRowOf(b: LoadedBundle, split: TestSplit, index: number): ExampleRow {
  if ('why' in split) return { row: specRow(b.spec), from: 'spec', note: `built from the fitted spec: ${split.why}` };
  const test = split.chunk;
  const at = ((index % test.numRows) + test.numRows) % test.numRows;
  return { row: rowOfChunk(test, b.spec, at), from: 'test', note: `test split of ${test.source}, row ${test.rowNumbers[at]}` };
}

/** The example row of a bundle: readTestSplit then exampleRowOf. */
export async function exampleRow(b: LoadedBundle, file: string, index = 0): Promise<ExampleRow> {
  return exampleRowOf(b, await readTestSplit(b, file), index);
}
