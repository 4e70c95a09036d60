import type { SparseBatch } from '../core/index.js';
import { gatherPooled } from './gather.js';
import { RowGradients } from './row-gradients.js';
import type { Pooling } from './slots.js';
import type { SparseTable } from './table.js';

/** One pooled table as a lane holds it: its index among the lanes' tables, and where it sits in the block. */
export interface LaneTable {
  readonly index: number;
  readonly table: SparseTable;
  readonly pooling: Pooling;
  readonly col: number;
}

/**
 * The per-step flags of the tables, shared by every lane: `params[2i]` is table i's feature index in the
 * step's SparseBatch, `params[2i + 1]` is 1 when the lanes must leave its update to the caller (a table
 * whose weights are averaged: `TableAverage.update` runs on the calling thread).
 */
export type LaneParams = Int32Array;

/**
 * The sparse work of one lane (the calling thread, or one worker of `SparseLanes`) over the tables it owns.
 * Each table is gathered and updated by exactly one lane, with the same kernels in the same order as on one
 * thread (`gatherPooled`, `RowGradients.addPooled`, `apply`), so the weights are the same bit for bit
 * whatever the number of lanes.
 */
export class Lane {
  private readonly grads: RowGradients[];

  constructor(readonly tables: readonly LaneTable[]) {
    this.grads = tables.map((t) => new RowGradients(t.table));
  }

  /** Writes the pooled rows of each owned table into its columns of `out` ([batchSize, width]). */
  gather(batch: SparseBatch, params: LaneParams, width: number, out: Float32Array): void {
    for (const t of this.tables) gatherPooled(t.table, batch, { feature: params[2 * t.index] as number, pooling: t.pooling, width, col: t.col }, out);
  }

  /** Accumulates each owned table's row gradients from `dBlock` and applies them, except the tables flagged to be left to the caller. */
  update(batch: SparseBatch, params: LaneParams, width: number, dBlock: Float32Array, step: number, lr: number | undefined): void {
    this.tables.forEach((t, i) => {
      if (params[2 * t.index + 1] === 1) return;
      const g = this.grads[i] as RowGradients;
      g.reset();
      g.addPooled(batch, { feature: params[2 * t.index] as number, pooling: t.pooling, width, col: t.col }, dBlock);
      g.apply(step, lr);
    });
  }
}
