import { WideDeepError } from './errors.js';

/**
 * The one type sparse features travel in (after torchrec's KeyedJaggedTensor): feature keys, one flat
 * Int32Array of ids and the offsets of every bag. Feature-major: all bags of the first key, then all bags of
 * the second, and so on. Id 0 is reserved for out-of-vocabulary / padding in every feature.
 *
 * Example: keys = ['genre', 'user'], batchSize = 3.
 *
 * ```
 *            example 0     example 1   example 2
 * genre      [4, 7]        []          [2]          <- multi-valued bags (an empty bag pools to zeros)
 * user       [11]          [0]         [5]          <- one id per bag; 0 = unseen user
 *
 * ids     = Int32Array [4, 7, 2, 11, 0, 5]
 * offsets = Int32Array [0, 2, 2, 3, 4, 5, 6]   // bag (f, b) is ids[offsets[f*B+b] .. offsets[f*B+b+1])
 * ```
 *
 * Bucketized, hashed, crossed, multi-valued and sequence features all end up as ids in one of these.
 * `weights`, when present, holds one weight per id (weighted pooling); otherwise every id weighs 1.
 */
export interface SparseBatch {
  readonly keys: readonly string[];
  readonly batchSize: number;
  readonly ids: Int32Array;
  readonly offsets: Int32Array;
  readonly weights?: Float32Array;
}

/** Index of bag (feature f, example b) into `offsets`. */
export function bagIndex(batch: SparseBatch, f: number, b: number): number {
  return f * batch.batchSize + b;
}

/**
 * Checks every invariant of a SparseBatch at a boundary: offsets length, monotone offsets from 0 to
 * ids.length, weights length, and ids in [0, sizes[key]) when table sizes are given.
 */
export function validateSparseBatch(batch: SparseBatch, sizes?: Readonly<Record<string, number>>): void {
  const { keys, batchSize, ids, offsets } = batch;
  const fail = (msg: string, field?: string): never => {
    throw new WideDeepError('BATCH', `invalid SparseBatch: ${msg}`, field !== undefined ? { field } : {});
  };
  if (!Number.isInteger(batchSize) || batchSize < 0) fail(`batchSize must be a non-negative integer, got ${batchSize}`);
  if (new Set(keys).size !== keys.length) fail(`duplicate feature keys in [${keys.join(', ')}]`);
  if (offsets.length !== keys.length * batchSize + 1) {
    fail(`offsets must have keys.length * batchSize + 1 = ${keys.length * batchSize + 1} entries, got ${offsets.length}`);
  }
  if (offsets[0] !== 0) fail(`offsets[0] must be 0, got ${offsets[0]}`);
  if (offsets[offsets.length - 1] !== ids.length) {
    fail(`the last offset must equal ids.length = ${ids.length}, got ${offsets[offsets.length - 1]}`);
  }
  for (let i = 1; i < offsets.length; i++) {
    if ((offsets[i] as number) < (offsets[i - 1] as number)) fail(`offsets must not decrease (offsets[${i}] < offsets[${i - 1}])`);
  }
  if (batch.weights !== undefined && batch.weights.length !== ids.length) {
    fail(`weights must have one entry per id (${ids.length}), got ${batch.weights.length}`);
  }
  for (let f = 0; f < keys.length; f++) {
    const key = keys[f] as string;
    const size = sizes?.[key];
    const lo = offsets[f * batchSize] as number;
    const hi = offsets[(f + 1) * batchSize] as number;
    for (let i = lo; i < hi; i++) {
      const id = ids[i] as number;
      if (id < 0 || (size !== undefined && id >= size)) {
        fail(`id ${id} at position ${i} is outside [0, ${size ?? 'inf'})`, key);
      }
    }
  }
}

/** Builds a SparseBatch from per-feature arrays of bags (convenient for tests and single-row serving). */
export function sparseBatchFromBags(bags: Readonly<Record<string, readonly (readonly number[])[]>>): SparseBatch {
  const keys = Object.keys(bags);
  const batchSize = keys.length === 0 ? 0 : (bags[keys[0] as string] as readonly (readonly number[])[]).length;
  const offsets = new Int32Array(keys.length * batchSize + 1);
  const flat: number[] = [];
  let k = 0;
  for (const key of keys) {
    const perExample = bags[key] as readonly (readonly number[])[];
    if (perExample.length !== batchSize) {
      throw new WideDeepError('BATCH', `feature ${key} has ${perExample.length} bags, expected ${batchSize}`, { field: key });
    }
    for (const bag of perExample) {
      for (const id of bag) flat.push(id);
      offsets[++k] = flat.length;
    }
  }
  const batch: SparseBatch = { keys, batchSize, ids: Int32Array.from(flat), offsets };
  validateSparseBatch(batch);
  return batch;
}
