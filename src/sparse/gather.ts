import type { SparseBatch } from '../core/index.js';
import type { PooledSlot, SequenceSlot } from './slots.js';
import { checkPooledSlot, checkSequenceSlot, idOutOfRange, oneIdBags } from './slots.js';
import { PREFETCH_ROWS, touchRows } from './prefetch.js';
import { kernelMemoryOf, simdGatherOne } from './simd/kernels.js';
import type { SparseTable } from './table.js';

/**
 * Pools feature `slot.feature` of every example into `out` ([batchSize, slot.width], columns
 * [slot.col, slot.col + dim)): the (weighted) sum or mean of the rows of the bag's ids. Writes only those
 * columns; other features' columns are left as they are. Reads only the rows the batch names. A feature of
 * one-id bags from a table in a kernel memory is copied by the SIMD kernel (simd/kernels.ts), the same values.
 */
export function gatherPooled(table: SparseTable, batch: SparseBatch, slot: PooledSlot, out: Float32Array): void {
  const { data, stride, dim, numRows } = table;
  checkPooledSlot(dim, batch, slot, out.length, 'out');
  const { ids, offsets, weights, batchSize } = batch;
  const f0 = slot.feature * batchSize;
  if (weights === undefined && kernelMemoryOf(data) !== undefined && oneIdBags(offsets, f0, batchSize)) {
    // One id a bag, a table in a kernel memory: the SIMD kernel (any dim: for dim 1 the value gatherScalars gives).
    const lo = offsets[f0] as number;
    const bad = simdGatherOne(data, stride, dim, numRows, ids, lo, batchSize, out, slot.width, slot.col);
    if (bad !== undefined) {
      if (bad >= 0) throw idOutOfRange(batch, slot.feature, ids[lo + bad] as number, numRows, table.name);
      return;
    }
  }
  if (dim === 1) return gatherScalars(table, batch, slot, out);
  const { width, col } = slot;
  const mean = slot.pooling === 'mean';
  for (let b = 0; b < batchSize; b++) {
    if (b % PREFETCH_ROWS === 0) touchRows(data, ids, offsets[f0 + b] as number, offsets[f0 + Math.min(batchSize, b + PREFETCH_ROWS)] as number, stride, dim);
    const lo = offsets[f0 + b] as number;
    const hi = offsets[f0 + b + 1] as number;
    const o = b * width + col;
    if (b > 0 && hi - lo > 1 && sameBag(ids, weights, offsets[f0 + b - 1] as number, lo, hi)) {
      // The previous row's bag again (a request's user context in every candidate's row): its result, the same
      // floats as summing it again.
      out.copyWithin(o, o - width, o - width + dim);
      continue;
    }
    if (hi - lo === 1 && weights === undefined) {
      // one id per bag (the common case): a copy, sum and mean agree
      const id = ids[lo] as number;
      if (id >>> 0 >= numRows) throw idOutOfRange(batch, slot.feature, id, numRows, table.name);
      const base = id * stride;
      for (let k = 0; k < dim; k++) out[o + k] = data[base + k] as number;
      continue;
    }
    for (let k = 0; k < dim; k++) out[o + k] = 0;
    let wsum = 0;
    for (let i = lo; i < hi; i++) {
      const id = ids[i] as number;
      if (id >>> 0 >= numRows) throw idOutOfRange(batch, slot.feature, id, numRows, table.name);
      const w = weights === undefined ? 1 : (weights[i] as number);
      wsum += w;
      const base = id * stride;
      for (let k = 0; k < dim; k++) out[o + k] = (out[o + k] as number) + w * (data[base + k] as number);
    }
    if (mean && hi > lo) {
      const s = wsum === 0 ? 0 : 1 / wsum;
      for (let k = 0; k < dim; k++) out[o + k] = (out[o + k] as number) * s;
    }
  }
}

/** Whether the bag [lo, hi) holds the ids (and weights) of the bag [prev, lo) just before it, in the same order. */
function sameBag(ids: Int32Array, weights: Float32Array | undefined, prev: number, lo: number, hi: number): boolean {
  if (lo - prev !== hi - lo) return false;
  for (let i = 0; i < hi - lo; i++) {
    if (ids[prev + i] !== ids[lo + i]) return false;
    if (weights !== undefined && weights[prev + i] !== weights[lo + i]) return false;
  }
  return true;
}

/**
 * `gatherPooled` for a dim-1 table (the wide part's features): the same arithmetic (`bagOfScalars`, then the
 * mean's scale), one float a row, so without the per-row loop over dims: the wide logits gather 26 such
 * features a step. `out[o]` of gatherPooled is the value written here, rounded as it would be.
 */
function gatherScalars(table: SparseTable, batch: SparseBatch, slot: PooledSlot, out: Float32Array): void {
  const { data, stride } = table;
  const { ids, offsets, weights, batchSize } = batch;
  const { width, col } = slot;
  const mean = slot.pooling === 'mean';
  const f0 = slot.feature * batchSize;
  for (let b = 0; b < batchSize; b++) {
    if (b % PREFETCH_ROWS === 0) touchRows(data, ids, offsets[f0 + b] as number, offsets[f0 + Math.min(batchSize, b + PREFETCH_ROWS)] as number, stride, 1);
    const lo = offsets[f0 + b] as number;
    const hi = offsets[f0 + b + 1] as number;
    const s = bagOfScalars(table, batch, slot.feature, lo, hi);
    if (!mean || hi === lo) {
      out[b * width + col] = s;
      continue;
    }
    let wsum = 0;
    if (weights === undefined) wsum = hi - lo;
    else for (let i = lo; i < hi; i++) wsum += weights[i] as number;
    out[b * width + col] = s * (wsum === 0 ? 0 : 1 / wsum);
  }
}

/**
 * The sum-pooled value of ids [lo, hi) of a dim-1 table: a float32 running sum of `weight * w` in id order
 * (what `gatherPooled` writes for a sum; one unweighted id gives its weight exactly). Throws for an id outside
 * the table. `WideLinear.logits` adds these to the bias itself, so that one thread and the lanes agree.
 */
export function bagOfScalars(table: SparseTable, batch: SparseBatch, feature: number, lo: number, hi: number): number {
  const { data, stride, numRows } = table;
  const { ids, weights } = batch;
  let s = 0;
  for (let i = lo; i < hi; i++) {
    const id = ids[i] as number;
    if (id >>> 0 >= numRows) throw idOutOfRange(batch, feature, id, numRows, table.name);
    s = Math.fround(s + (weights === undefined ? (data[id * stride] as number) : (weights[i] as number) * (data[id * stride] as number)));
  }
  return s;
}

/**
 * Gathers a sequence feature without pooling into `out` ([batchSize, maxLen, dim]); see `SequenceSlot` for
 * padding and truncation. When `mask` ([batchSize, maxLen]) is given it receives 1 at real positions, 0 at
 * padding.
 */
export function gatherSequence(
  table: SparseTable,
  batch: SparseBatch,
  slot: SequenceSlot,
  out: Float32Array,
  mask?: Float32Array,
): void {
  const { data, stride, dim, numRows } = table;
  const T = slot.maxLen;
  checkSequenceSlot(dim, batch, slot, out.length, 'out');
  if (mask !== undefined) checkSequenceSlot(1, batch, slot, mask.length, 'mask');
  const { ids, offsets, batchSize } = batch;
  const f0 = slot.feature * batchSize;
  for (let b = 0; b < batchSize; b++) {
    if (b % PREFETCH_ROWS === 0) touchRows(data, ids, offsets[f0 + b] as number, offsets[f0 + Math.min(batchSize, b + PREFETCH_ROWS)] as number, stride, dim);
    const hi = offsets[f0 + b + 1] as number;
    const start = Math.max(offsets[f0 + b] as number, hi - T);
    const len = hi - start;
    const o = b * T * dim;
    for (let p = 0; p < len; p++) {
      const id = ids[start + p] as number;
      if (id >>> 0 >= numRows) throw idOutOfRange(batch, slot.feature, id, numRows, table.name);
      const base = id * stride;
      const op = o + p * dim;
      for (let k = 0; k < dim; k++) out[op + k] = data[base + k] as number;
    }
    out.fill(0, o + len * dim, o + T * dim);
    if (mask !== undefined) {
      mask.fill(1, b * T, b * T + len);
      mask.fill(0, b * T + len, (b + 1) * T);
    }
  }
}
