import type { ColumnSchema, ColumnValues, RowChunk } from './types.js';
import type { ReadOptions } from './options.js';
import type { ReadSummary } from './source.js';
import { Rng } from '../core/rng.js';
import { getColumn, numericColumn, takeRows, valuesArray, type ChunkStream } from './chunk.js';
import { checkKeys, configError } from './data-errors.js';
import { permutation } from './shuffle.js';
import { openTable } from './reader.js';

/** Two disjoint parts of the same rows; each keeps the original row order. */
export interface TrainTest {
  readonly train: RowChunk;
  readonly test: RowChunk;
}

/** floor(n * f), robust to binary fractions (0.3 * 10 is 3, not 2). */
export function fractionCount(n: number, fraction: number): number {
  return Math.floor(n * fraction + 1e-9);
}

function checkFraction(f: number, field: string): void {
  if (!(f >= 0 && f <= 1)) throw configError(`${field} must be in [0, 1], got ${f}`, { field, fix: 'use e.g. 0.2 for 20%' });
}

/** Indices 0..n-1 split by a membership mask; both lists ascending. */
function partition(n: number, isTest: Uint8Array): { train: Int32Array; test: Int32Array } {
  let t = 0;
  for (let i = 0; i < n; i++) t += isTest[i] as number;
  const train = new Int32Array(n - t);
  const test = new Int32Array(t);
  let a = 0;
  let b = 0;
  for (let i = 0; i < n; i++) {
    if (isTest[i] === 1) test[b++] = i;
    else train[a++] = i;
  }
  return { train, test };
}

function byMask(data: RowChunk, isTest: Uint8Array): TrainTest {
  const { train, test } = partition(data.numRows, isTest);
  return { train: takeRows(data, train), test: takeRows(data, test) };
}

/** Seeded random split: exactly floor(n * testFraction) test rows, chosen by a seeded permutation. */
export function randomSplit(data: RowChunk, options: { readonly testFraction: number; readonly seed: number }): TrainTest {
  checkKeys(options, ['testFraction', 'seed'], 'randomSplit');
  checkFraction(options.testFraction, 'testFraction');
  const n = data.numRows;
  const perm = permutation(n, new Rng(options.seed));
  const isTest = new Uint8Array(n);
  const k = fractionCount(n, options.testFraction);
  for (let i = 0; i < k; i++) isTest[perm[i] as number] = 1;
  return byMask(data, isTest);
}

/**
 * The seeded test/train decision of one row of a stream, from its source row number alone, so it does not
 * depend on chunking or order: P(test) = testFraction.
 */
export function isTestRow(rowNumber: number, testFraction: number, seed: number): boolean {
  let h = Math.imul((rowNumber ^ 0x9e3779b9) >>> 0, 0x85ebca6b) ^ Math.imul(seed >>> 0, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296 < testFraction;
}

/** One part of a seeded random split of a stream (read the stream twice for both parts). */
export async function* splitStream(
  chunks: ChunkStream,
  options: { readonly testFraction: number; readonly seed: number; readonly part: 'train' | 'test' },
): AsyncGenerator<RowChunk, void, undefined> {
  checkKeys(options, ['testFraction', 'seed', 'part'], 'splitStream');
  checkFraction(options.testFraction, 'testFraction');
  const wantTest = options.part === 'test';
  for await (const chunk of chunks) {
    const keep: number[] = [];
    for (let i = 0; i < chunk.numRows; i++) {
      if (isTestRow(chunk.rowNumbers[i] as number, options.testFraction, options.seed) === wantTest) keep.push(i);
    }
    if (keep.length > 0) yield takeRows(chunk, keep);
  }
}

/** Stable order of rows by a numeric column, ties by original position. */
function orderBy(n: number, key: Float64Array, tie?: (a: number, b: number) => number): Int32Array {
  const idx = Int32Array.from({ length: n }, (_, i) => i);
  return idx.sort((a, b) => {
    const d = (key[a] as number) - (key[b] as number);
    if (d !== 0) return d;
    const t = tie?.(a, b) ?? 0;
    return t !== 0 ? t : a - b;
  });
}

function checkNoMissing(data: RowChunk, values: Float64Array, column: string): void {
  for (let i = 0; i < values.length; i++) {
    if (Number.isNaN(values[i])) {
      throw configError(`time column ${column} is missing in a row`, { file: data.source, row: data.rowNumbers[i] as number, field: column, fix: 'fill the timestamp or drop the row before splitting' });
    }
  }
}

/**
 * Split by time: the last floor(n * testFraction) rows by `timeColumn` are test (ties by row order), or every row
 * with time >= `testFrom`.
 */
export function timeSplit(
  data: RowChunk,
  options: { readonly timeColumn: string } & ({ readonly testFraction: number } | { readonly testFrom: number }),
): TrainTest {
  checkKeys(options, ['timeColumn', 'testFraction', 'testFrom'], 'timeSplit');
  const time = numericColumn(data, options.timeColumn, 'timeColumn');
  checkNoMissing(data, time, options.timeColumn);
  const n = data.numRows;
  const isTest = new Uint8Array(n);
  if ('testFrom' in options) {
    for (let i = 0; i < n; i++) isTest[i] = (time[i] as number) >= options.testFrom ? 1 : 0;
  } else {
    checkFraction(options.testFraction, 'testFraction');
    const order = orderBy(n, time);
    const k = fractionCount(n, options.testFraction);
    for (let i = n - k; i < n; i++) isTest[order[i] as number] = 1;
  }
  return byMask(data, isTest);
}

export interface PerUserSplitOptions extends UserTimeColumns {
  /** The last `last` interactions of each user are test (all of them when the user has fewer). */
  readonly last?: number;
  /** The last floor(n_u * fraction) interactions of each user are test. */
  readonly fraction?: number;
}

/**
 * Per-user temporal split (leave-last-out): each user's interactions ordered by (time, item); the last k, or
 * the last floor(n_u * fraction), are test, the rest train.
 */
export function perUserSplit(data: RowChunk, options: PerUserSplitOptions): TrainTest {
  checkKeys(options, ['userColumn', 'timeColumn', 'itemColumn', 'last', 'fraction'], 'perUserSplit');
  if ((options.last === undefined) === (options.fraction === undefined)) {
    throw configError('give exactly one of last and fraction', { field: 'perUserSplit', fix: 'e.g. { last: 1 } (leave-one-out) or { fraction: 0.2 }' });
  }
  if (options.fraction !== undefined) checkFraction(options.fraction, 'fraction');
  if (options.last !== undefined && !(Number.isInteger(options.last) && options.last >= 0)) {
    throw configError(`last must be a non-negative integer, got ${options.last}`, { field: 'last', fix: 'e.g. 1' });
  }
  const isTest = new Uint8Array(data.numRows);
  for (const rows of userTimeOrder(data, options)) {
    const n = rows.length;
    const k = options.last !== undefined ? Math.min(options.last, n) : fractionCount(n, options.fraction as number);
    for (let j = n - k; j < n; j++) isTest[rows[j] as number] = 1;
  }
  return byMask(data, isTest);
}

/** Which columns order each user's interactions in time: by time, ties by item, then by row order. */
export interface UserTimeColumns {
  readonly userColumn: string;
  readonly timeColumn: string;
  /** Breaks timestamp ties (numeric order for numeric columns and numeric-looking ids, else string order). */
  readonly itemColumn: string;
}

/** Each user's row indices in time order (users in order of their first row). */
export function userTimeOrder(data: RowChunk, options: UserTimeColumns): number[][] {
  const users = valuesArray(getColumn(data, options.userColumn, 'userColumn'));
  const time = numericColumn(data, options.timeColumn, 'timeColumn');
  checkNoMissing(data, time, options.timeColumn);
  const itemKey = itemComparer(getColumn(data, options.itemColumn, 'itemColumn'));
  const groups = new Map<unknown, number[]>();
  for (let i = 0; i < data.numRows; i++) {
    const u = users[i] ?? null;
    const g = groups.get(u);
    if (g === undefined) groups.set(u, [i]);
    else g.push(i);
  }
  const out = [...groups.values()];
  for (const rows of out) rows.sort((a, b) => (time[a] as number) - (time[b] as number) || itemKey(a, b) || a - b);
  return out;
}

/**
 * Every row's place in its user's history, from 0 (the user's earliest interaction) to 1 (the latest): rank
 * j of n in time order (userTimeOrder) gives j / (n - 1); a user's only row is 1.
 */
export function userTimePositions(data: RowChunk, options: UserTimeColumns): Float64Array {
  const out = new Float64Array(data.numRows);
  for (const rows of userTimeOrder(data, options)) {
    const n = rows.length;
    for (let j = 0; j < n; j++) out[rows[j] as number] = n === 1 ? 1 : j / (n - 1);
  }
  return out;
}

function itemComparer(items: ColumnValues): (a: number, b: number) => number {
  if (items instanceof Float64Array) return (a, b) => (items[a] as number) - (items[b] as number);
  const strings = valuesArray(items) as readonly (string | null)[];
  const nums = Float64Array.from(strings, (s) => (s !== null && /^-?\d+(\.\d+)?$/.test(s) ? Number(s) : NaN));
  return (a, b) => {
    const x = nums[a] as number;
    const y = nums[b] as number;
    if (!Number.isNaN(x) && !Number.isNaN(y)) return x - y;
    const s = strings[a] ?? '';
    const t = strings[b] ?? '';
    return s < t ? -1 : s > t ? 1 : 0;
  };
}

/** "Use this file as test": reads both files; the test file is read with the train file's schema. */
export async function readTrainTestFiles(options: {
  readonly train: ReadOptions;
  readonly test: ReadOptions;
}): Promise<TrainTest & { readonly schema: readonly ColumnSchema[]; readonly summaries: { readonly train: ReadSummary; readonly test: ReadSummary } }> {
  const trainReader = await openTable(options.train);
  const train = await trainReader.readAll();
  const columns = Object.fromEntries(trainReader.schema.map((c) => [c.name, options.test.columns?.[c.name] ?? c.kind]));
  const testReader = await openTable({ ...options.test, columns });
  const test = await testReader.readAll();
  const a = trainReader.schema.map((c) => `${c.name}:${c.kind}`).join(', ');
  const b = testReader.schema.map((c) => `${c.name}:${c.kind}`).join(', ');
  if (a !== b) {
    throw configError('the test file has other columns than the train file', {
      file: testReader.source,
      field: 'test.select',
      fix: `read the same columns from both (train: ${a}; test: ${b})`,
    });
  }
  return { train, test, schema: trainReader.schema, summaries: { train: trainReader.summary, test: testReader.summary } };
}
