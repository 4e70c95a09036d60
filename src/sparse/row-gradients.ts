import { WideDeepError } from '../core/index.js';
import type { SparseBatch } from '../core/index.js';
import { RowSlotMap } from './row-slot-map.js';
import type { PooledSlot, SequenceSlot } from './slots.js';
import { checkPooledSlot, checkSequenceSlot, idOutOfRange, oneIdBags } from './slots.js';
import { kernelMemoryOf, type ResidentGradients, ScatterSpace, simdScatterOne } from './simd/kernels.js';
import { badWideIdError, simdScatterWide, type WideFeatureRef } from './simd/wide-kernels.js';
import type { SparseTable } from './table.js';

/**
 * Per-step gradient of one table, deduplicated: the backward half of `gatherPooled` / `gatherSequence`.
 *
 * ```
 * reset()                              once per step
 * addPooled(batch, slot, dBlock)       once per feature that reads this table (several may share it)
 * apply(step, lr?)                     sums are complete: one optimizer update per unique row
 * ```
 *
 * Duplicate ids in a batch accumulate into one gradient row before the update, as a dense gradient would.
 * Rows no example touched are never read or written. All buffers are reused across steps and only grow.
 *
 * The first `addPooled` of a step, for a feature of one-id bags of a table in a kernel memory, runs in the
 * SIMD kernel (simd/kernels.ts, `scatterOne`: the same float32 sums in the same order) and leaves its rows
 * and sums in the table's memory, where `apply` updates them in place; any further call of the step first
 * moves them into this object's own map and buffer (`spill`), so sums continue in batch order.
 */
export class RowGradients {
  readonly table: SparseTable;
  private readonly map: RowSlotMap;
  private grads: Float32Array;
  /** The step's rows and sums while they are in the table's kernel memory (see the class comment). */
  private resident: ResidentGradients | null = null;
  private space: ScatterSpace | undefined;

  constructor(table: SparseTable, initialRows = 1024) {
    this.table = table;
    this.map = new RowSlotMap(initialRows);
    this.grads = new Float32Array(this.map.rows.length * table.dim);
  }

  /** Unique rows touched since the last reset, in first-seen order (a view into a reused buffer). */
  get rows(): Int32Array {
    return this.resident ? this.resident.rows : this.map.rows.subarray(0, this.map.count);
  }

  /** Number of unique rows touched since the last reset. */
  get count(): number {
    return this.resident ? this.resident.count : this.map.count;
  }

  /** Summed gradients, [count, dim], row i belongs to `rows[i]` (a view into a reused buffer). */
  get values(): Float32Array {
    return this.resident ? this.resident.grads : this.grads.subarray(0, this.map.count * this.table.dim);
  }

  /** Forgets the previous step's rows. O(hash capacity), no allocation. */
  reset(): void {
    this.resident = null;
    this.map.clear();
  }

  /**
   * Accumulates the gradient of a pooled gather: `dBlock` is d(loss)/d(block) laid out like the block the
   * gather wrote ([batchSize, slot.width]); id i of bag b receives `scale_i * dBlock[b, col:col+dim]`, with
   * scale_i = weight_i (sum) or weight_i / sum(weights of the bag) (mean).
   */
  addPooled(batch: SparseBatch, slot: PooledSlot, dBlock: Float32Array): void {
    const { dim, numRows, name } = this.table;
    checkPooledSlot(dim, batch, slot, dBlock.length, 'dBlock');
    const { ids, offsets, weights, batchSize } = batch;
    const { width, col } = slot;
    const mean = slot.pooling === 'mean';
    const f0 = slot.feature * batchSize;
    if (this.resident === null && this.map.count === 0 && weights === undefined && kernelMemoryOf(this.table.data) !== undefined && oneIdBags(offsets, f0, batchSize)) {
      // One id a bag (scale 1 for sum and mean), the map empty: by the kernel, where the table is in a kernel memory.
      const lo = offsets[f0] as number;
      const r = simdScatterOne((this.space ??= new ScatterSpace()), this.table.data, numRows, dim, ids, lo, batchSize, dBlock, width, col);
      if (typeof r === 'number') throw idOutOfRange(batch, slot.feature, ids[lo + r] as number, numRows, name);
      if (r !== undefined) {
        this.resident = r;
        return;
      }
    }
    this.reserve((offsets[f0 + batchSize] as number) - (offsets[f0] as number));
    const map = this.map;
    const grads = this.grads;
    for (let b = 0; b < batchSize; b++) {
      const lo = offsets[f0 + b] as number;
      const hi = offsets[f0 + b + 1] as number;
      if (hi === lo) continue;
      let scale = 1;
      if (mean) {
        let wsum = 0;
        if (weights === undefined) wsum = hi - lo;
        else for (let i = lo; i < hi; i++) wsum += weights[i] as number;
        scale = wsum === 0 ? 0 : 1 / wsum;
      }
      const o = b * width + col;
      for (let i = lo; i < hi; i++) {
        const id = ids[i] as number;
        if (id >>> 0 >= numRows) throw idOutOfRange(batch, slot.feature, id, numRows, name);
        const before = map.count;
        const g0 = map.slotOf(id) * dim;
        const s = weights === undefined ? scale : scale * (weights[i] as number);
        if (map.count !== before) {
          for (let k = 0; k < dim; k++) grads[g0 + k] = s * (dBlock[o + k] as number);
        } else {
          for (let k = 0; k < dim; k++) grads[g0 + k] = (grads[g0 + k] as number) + s * (dBlock[o + k] as number);
        }
      }
    }
  }

  /** Accumulates the gradient of `gatherSequence`: `dOut` is [batchSize, maxLen, dim]; padding is skipped. */
  addSequence(batch: SparseBatch, slot: SequenceSlot, dOut: Float32Array): void {
    const { dim, numRows, name } = this.table;
    const T = slot.maxLen;
    checkSequenceSlot(dim, batch, slot, dOut.length, 'dOut');
    const { ids, offsets, batchSize } = batch;
    const f0 = slot.feature * batchSize;
    this.reserve((offsets[f0 + batchSize] as number) - (offsets[f0] as number));
    const map = this.map;
    const grads = this.grads;
    for (let b = 0; b < batchSize; b++) {
      const hi = offsets[f0 + b + 1] as number;
      const start = Math.max(offsets[f0 + b] as number, hi - T);
      for (let p = 0; p < hi - start; p++) {
        const id = ids[start + p] as number;
        if (id >>> 0 >= numRows) throw idOutOfRange(batch, slot.feature, id, numRows, name);
        const before = map.count;
        const g0 = map.slotOf(id) * dim;
        const o = (b * T + p) * dim;
        if (map.count !== before) {
          for (let k = 0; k < dim; k++) grads[g0 + k] = dOut[o + k] as number;
        } else {
          for (let k = 0; k < dim; k++) grads[g0 + k] = (grads[g0 + k] as number) + (dOut[o + k] as number);
        }
      }
    }
  }

  /**
   * The wide part's gradient of one feature (a dim-1 table whose feature owns rows [offset, offset + size)):
   * row `offset + id` of every id of bag b receives dLogits[b], times the id's weight when the batch has
   * weights. Equal to one `addScalar` per id, in the same order, with the map reserved once.
   */
  addWide(batch: SparseBatch, feature: number, offset: number, size: number, dLogits: Float32Array): void {
    const { ids, offsets, weights, batchSize } = batch;
    const f0 = feature * batchSize;
    this.reserve((offsets[f0 + batchSize] as number) - (offsets[f0] as number));
    const map = this.map;
    const grads = this.grads;
    const dim = this.table.dim;
    for (let b = 0; b < batchSize; b++) {
      const d = dLogits[b] as number;
      const hi = offsets[f0 + b + 1] as number;
      for (let i = offsets[f0 + b] as number; i < hi; i++) {
        const id = ids[i] as number;
        if (id >>> 0 >= size) throw idOutOfRange(batch, feature, id, size, this.table.name);
        const before = map.count;
        const g0 = map.slotOf(offset + id) * dim;
        const g = weights === undefined ? d : d * (weights[i] as number);
        if (map.count !== before) for (let k = 0; k < dim; k++) grads[g0 + k] = 0;
        grads[g0] = (grads[g0] as number) + g;
      }
    }
  }

  /**
   * The wide part's whole gradient of a step (`WideLinear.gradients`): `reset`, `addScalar(biasRow, dBias)`,
   * then `addWide` of every feature in order. Where the table is in a kernel memory and the batch has no
   * weights, by the kernel (simd/kernels.ts, `simdScatterWide`: the same rows in the same order, the same
   * float32 sums), which leaves them in the table's memory for `apply`, as addPooled's kernel does.
   */
  addWideStep(batch: SparseBatch, features: readonly WideFeatureRef[], dLogits: Float32Array, biasRow: number, dBias: number): void {
    this.reset();
    const r = simdScatterWide((this.space ??= new ScatterSpace()), this.table.data, batch, features, dLogits, biasRow, dBias);
    if (r !== undefined && 'at' in r) throw badWideIdError(batch, features, r, this.table.name);
    if (r !== undefined) {
      this.resident = r;
      return;
    }
    this.addScalar(biasRow, dBias);
    for (const { feature, offset, size } of features) this.addWide(batch, feature, offset, size, dLogits);
  }

  /** Adds `g` to coordinate 0 of `row` (the wide part: dim-1 tables, one call per fired id). */
  addScalar(row: number, g: number): void {
    const { dim, numRows, name } = this.table;
    if (row >>> 0 >= numRows) {
      throw new WideDeepError('BATCH', `row ${row} is outside table ${name}'s [0, ${numRows})`, { field: 'row' });
    }
    this.reserve(1);
    const before = this.map.count;
    const g0 = this.map.slotOf(row) * dim;
    if (this.map.count !== before) this.grads.fill(0, g0, g0 + dim);
    this.grads[g0] = (this.grads[g0] as number) + g;
  }

  /**
   * One optimizer update per unique row (`step` is the global 1-based step, `lr` overrides the base rate).
   * A table whose weights are averaged is updated through its `TableAverage.update` instead.
   */
  apply(step: number, lr?: number): void {
    const t = this.table;
    const r = this.resident;
    if (r !== null) t.optimizer.updateRows(t.data, t.dim, r.rows, r.count, r.grads, step, lr);
    else t.optimizer.updateRows(t.data, t.dim, this.map.rows, this.map.count, this.grads, step, lr);
  }

  /** Moves rows and sums held in the kernel memory into the map and buffer (the map is empty then: same slots, same order). */
  private spill(): void {
    const r = this.resident;
    if (r === null) return;
    this.resident = null;
    this.reserve(r.count);
    for (let i = 0; i < r.count; i++) this.map.slotOf(r.rows[i] as number);
    this.grads.set(r.grads);
  }

  /** Grows the hash map and gradient buffer to hold `extra` more unique rows (no growth inside loops). */
  private reserve(extra: number): void {
    this.spill();
    this.map.reserve(Math.min(extra, this.table.numRows));
    const need = this.map.rows.length * this.table.dim;
    if (this.grads.length < need) {
      const grown = new Float32Array(need);
      grown.set(this.grads.subarray(0, this.map.count * this.table.dim));
      this.grads = grown;
    }
  }
}
