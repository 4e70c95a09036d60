import { WideDeepError } from '../core/errors.js';
import type { RowGradients } from './row-gradients.js';
import type { SparseTable } from './table.js';

/**
 * An exponential moving average of a sparse table's weights (Polyak averaging with decay d, as TensorFlow's
 * ExponentialMovingAverage and Keras' `use_ema`): after every step t, avg_t = d * avg_{t-1} + (1 - d) * w_t,
 * over every row, starting from the weights when averaging starts.
 *
 * It is kept lazily, and exactly: a row's weights change only at the steps that touch it, so between two
 * such steps its average follows a closed form. With w the row's weights since step s and a_s its average
 * then, at a later step t (no update in between) a_t = w + (a_s - w) * d^(t - s). Each row records the step
 * its average is exact at (`synced`); a step that updates rows first brings those rows to the previous step
 * with their old weights (`beforeUpdate`), then adds the step with their new weights (`afterUpdate`). Rows a
 * batch does not touch cost nothing, so a table of millions of rows pays only for the rows of each batch;
 * `sync` brings every row up to date (before the averages are read or swapped in).
 */
export class TableAverage {
  readonly table: SparseTable;
  readonly decay: number;
  /** The averages, [numRows, dim]. */
  readonly values: Float32Array;
  /** Per row: the step its average is exact at. */
  private readonly synced: Float64Array;

  /** Starts averaging at step `step` (the steps taken so far) from the table's current weights. */
  constructor(table: SparseTable, decay: number, step: number) {
    checkDecay(decay);
    this.table = table;
    this.decay = decay;
    this.values = table.exportWeights();
    this.synced = new Float64Array(table.numRows).fill(step);
  }

  /** Applies `grads` (gradients of this average's table) at step `step`, keeping the average exact around the update. */
  update(grads: RowGradients, step: number, lr?: number): void {
    this.beforeUpdate(grads.rows, grads.count, step);
    grads.apply(step, lr);
    this.afterUpdate(grads.rows, grads.count, step);
  }

  /** Before rows `rows[0..count)` are updated at step `step`: their averages brought to step - 1 with the weights they still have. */
  beforeUpdate(rows: Int32Array, count: number, step: number): void {
    for (let i = 0; i < count; i++) this.catchUp(rows[i] as number, step - 1);
  }

  /** After the update at step `step`: one averaging step with the rows' new weights. */
  afterUpdate(rows: Int32Array, count: number, step: number): void {
    const { values, decay, synced } = this;
    const { data, dim, stride } = this.table;
    const keep = 1 - decay;
    for (let i = 0; i < count; i++) {
      const r = rows[i] as number;
      const w0 = r * stride;
      const a0 = r * dim;
      for (let j = 0; j < dim; j++) {
        const a = values[a0 + j] as number;
        values[a0 + j] = a + keep * ((data[w0 + j] as number) - a);
      }
      synced[r] = step;
    }
  }

  /** Brings every row's average to step `step` (no row may have been updated after the last afterUpdate). */
  sync(step: number): void {
    for (let r = 0; r < this.table.numRows; r++) this.catchUp(r, step);
  }

  /** Exchanges the table's weights with the averages (twice restores both exactly; optimizer state untouched). */
  swap(): void {
    const { values } = this;
    const { data, dim, stride, numRows } = this.table;
    for (let r = 0; r < numRows; r++) {
      const w0 = r * stride;
      const a0 = r * dim;
      for (let j = 0; j < dim; j++) {
        const w = data[w0 + j] as number;
        data[w0 + j] = values[a0 + j] as number;
        values[a0 + j] = w;
      }
    }
  }

  /** Sets the averages (from a checkpoint), exact at step `step`. */
  load(values: Float32Array, step: number): void {
    if (values.length !== this.values.length) {
      throw new WideDeepError('BUNDLE', `table ${this.table.name}: the saved weight averages hold ${values.length} floats, the table needs ${this.values.length}`, {
        field: `ema.${this.table.name}`,
        fix: 'resume with the same feature spec and model config as when the checkpoint was written',
      });
    }
    this.values.set(values);
    this.synced.fill(step);
  }

  private catchUp(r: number, step: number): void {
    const k = step - (this.synced[r] as number);
    if (k <= 0) return;
    const f = Math.pow(this.decay, k);
    const { values } = this;
    const { data, dim, stride } = this.table;
    const w0 = r * stride;
    const a0 = r * dim;
    for (let j = 0; j < dim; j++) {
      const w = data[w0 + j] as number;
      values[a0 + j] = w + ((values[a0 + j] as number) - w) * f;
    }
    this.synced[r] = step;
  }
}

/** A decay in (0, 1): the weight of the previous average at each step. */
export function checkDecay(decay: number): void {
  if (!(decay > 0 && decay < 1)) {
    throw new WideDeepError('CONFIG', `the weight-average decay must be in (0, 1), got ${decay}`, { field: 'train.ema.decay', fix: 'use e.g. 0.999 (about the last 1000 steps)' });
  }
}
