import type { WideDeepError } from '../../core/errors.js';
import type { SparseBatch } from '../../core/sparse-batch.js';
import { idOutOfRange } from '../slots.js';
import { type KernelMemory, kernelOf, type ResidentGradients, type ScatterSpace } from './kernels.js';

// The wide part's kernels (wasm/sparse-kernels.ts: wideAdd, wideScatter) as WideLinear and RowGradients call
// them: the batch's ids and offsets copied into the table's kernel memory once a call, then one kernel call
// a feature.

/** A wide feature as the wide kernels read it: its batch feature, its first row in the wide table, its id count. */
export interface WideFeatureRef {
  readonly feature: number;
  readonly offset: number;
  readonly size: number;
}

/** Where a wide kernel met an id outside its feature: the feature (its index in the list given) and the id's index in `batch.ids`. */
export interface BadWideId {
  readonly at: number;
  readonly index: number;
}

/** The error for a BadWideId: the one the JavaScript loops throw for that id. */
export function badWideIdError(batch: SparseBatch, features: readonly WideFeatureRef[], bad: BadWideId, table: string): WideDeepError {
  const { feature, size } = features[bad.at] as WideFeatureRef;
  return idOutOfRange(batch, feature, batch.ids[bad.index] as number, size, table);
}

/** Copies the ids (through the last bag's end) and the offsets of `batch` to `idsAt` and `offsetsAt`. */
function stageBatch(k: KernelMemory, batch: SparseBatch, idsAt: number, offsetsAt: number): void {
  const { ids, offsets } = batch;
  k.put(idsAt, ids.subarray(0, offsets[offsets.length - 1] as number));
  k.put(offsetsAt, offsets);
}

/** Bytes `stageBatch` writes: the ids, then the offsets. */
function batchBytes(batch: SparseBatch): number {
  return 4 * ((batch.offsets[batch.offsets.length - 1] as number) + batch.offsets.length);
}

/** How many ids the features have in `batch`, all together. */
function wideIds(batch: SparseBatch, features: readonly WideFeatureRef[]): number {
  const { offsets, batchSize: n } = batch;
  let total = 0;
  for (const { feature } of features) total += (offsets[feature * n + n] as number) - (offsets[feature * n] as number);
  return total;
}

/**
 * `WideLinear.logits` by the kernel (wideAdd), for a batch without weights: out[b] = bias, then every feature's
 * bag sum added in feature order (rows of `data`, a table of `stride` floats a row, from the feature's offset).
 * Null when done; a BadWideId for an id outside its feature (out not written); undefined when `data` is not in
 * a kernel memory or the batch has weights (nothing done: the caller runs its loop).
 */
export function simdWideLogits(data: Float32Array, stride: number, batch: SparseBatch, features: readonly WideFeatureRef[], bias: number, out: Float32Array): BadWideId | null | undefined {
  const k = kernelOf(data);
  if (k === undefined || batch.weights !== undefined) return undefined;
  const n = batch.batchSize;
  const at = k.scratch(4 * n + batchBytes(batch));
  if (at < 0) return undefined;
  const idsAt = at + 4 * n;
  const offsetsAt = idsAt + 4 * (batch.offsets[batch.offsets.length - 1] as number);
  stageBatch(k, batch, idsAt, offsetsAt);
  k.f32(at, n).fill(bias);
  for (let j = 0; j < features.length; j++) {
    const { feature, offset, size } = features[j] as WideFeatureRef;
    const bad = k.exports.wideAdd(data.byteOffset + 4 * offset * stride, stride, size, idsAt, offsetsAt + 4 * feature * n, n, at);
    if (bad >= 0) return { at: j, index: bad };
  }
  out.set(k.f32(at, n));
  return null;
}

/**
 * The wide part's gradient of a step by the kernel (wideScatter), for a batch without weights: row `biasRow`
 * with `dBias`, then every feature's rows (`offset + id`) with dLogits[b] of their bag, deduplicated in
 * first-seen order and summed as the JavaScript loops do (`RowGradients.addScalar`, `addWide`). The rows and sums
 * are left in the table's memory, as `simdScatterOne`'s. A BadWideId for an id outside its feature (nothing
 * kept); undefined when `data` is not in a kernel memory or the batch has weights (nothing done).
 */
export function simdScatterWide(space: ScatterSpace, data: Float32Array, batch: SparseBatch, features: readonly WideFeatureRef[], dLogits: Float32Array, biasRow: number, dBias: number): ResidentGradients | BadWideId | undefined {
  const k = kernelOf(data);
  if (k === undefined || batch.weights !== undefined) return undefined;
  const n = batch.batchSize;
  // The map and sums for every row (the bias and each id); then d (n floats), the bias's bag (id 0, offsets
  // 0 and 1, d) and the batch.
  const at = space.layout(k, wideIds(batch, features) + 1, 1, 4 * (n + 4) + batchBytes(batch));
  if (at === undefined) return undefined;
  const e = k.exports;
  const bias = at.extra + 4 * n;
  k.i32(bias, 3).set([0, 0, 1]);
  k.f32(bias + 12, 1)[0] = dBias;
  let count = e.wideScatter(bias, bias + 4, 1, 1, biasRow, bias + 12, at.keys, at.cap, at.rows, at.grads, 0);
  k.put(at.extra, dLogits.subarray(0, n));
  const idsAt = bias + 16;
  const offsetsAt = idsAt + 4 * (batch.offsets[batch.offsets.length - 1] as number);
  stageBatch(k, batch, idsAt, offsetsAt);
  for (let j = 0; j < features.length; j++) {
    const { feature, offset, size } = features[j] as WideFeatureRef;
    count = e.wideScatter(idsAt, offsetsAt + 4 * feature * n, n, size, offset, at.extra, at.keys, at.cap, at.rows, at.grads, count);
    if (count < 0) return { at: j, index: -count - 1 };
  }
  return { rows: k.i32(at.rows, count), grads: k.f32(at.grads, count), count };
}
