import type { SparseBatch } from '../core/index.js';
import { gatherPooled } from './gather.js';
import { RowGradients } from './row-gradients.js';
import type { Pooling } from './slots.js';
import type { SparseTable } from './table.js';

/**
 * One pooled table as a lane holds it: its index among the lanes' tables (also its place in the one-thread
 * order of the step's work), the batch and block it reads and writes (`source`: 0 the embeddings' deep
 * batch and `emb` block, 1 the wide batch and the wide part's per-feature block), and its columns there.
 */
export interface LaneTable {
  readonly index: number;
  readonly source: number;
  readonly table: SparseTable;
  readonly pooling: Pooling;
  readonly col: number;
}

/**
 * The per-step flags of the tables, shared by every lane: `params[2i]` is table i's feature index in its
 * source's SparseBatch, `params[2i + 1]` is 1 when the lanes must leave its update to the caller (a table
 * whose weights are averaged: `TableAverage.update` runs on the calling thread).
 */
export type LaneParams = Int32Array;

/** What one source of a step holds on a lane: its batch, its block width, the block and its gradient. */
export interface LaneSource {
  readonly batch: SparseBatch;
  readonly width: number;
  readonly out: Float32Array;
  readonly dBlock: Float32Array;
  readonly lr: number | undefined;
}

/**
 * The sparse work of one lane (the calling thread, or one worker of `SparseLanes`) over the tables it owns.
 * Each table is gathered and updated by exactly one lane, with the same kernels in the same order as on one
 * thread (`gatherPooled`, `RowGradients.addPooled`, `apply`), so the weights are the same bit for bit
 * whatever the number of lanes. Tables are worked in index order; `failedAt` is the index of the table whose
 * kernel threw, so that the caller reports the error one thread would have met first.
 */
export class Lane {
  private readonly grads: RowGradients[];
  private readonly order: readonly LaneTable[];
  /** Index of the table whose work threw in the last call (-1: none). */
  failedAt = -1;

  constructor(tables: readonly LaneTable[]) {
    this.order = [...tables].sort((a, b) => a.index - b.index);
    this.grads = this.order.map((t) => new RowGradients(t.table));
  }

  /** Writes the pooled rows of each owned table of an active source (`sources[s]` defined) into its columns of that source's block. */
  gather(sources: readonly (LaneSource | undefined)[], params: LaneParams): void {
    this.each(sources, (t, s) => gatherPooled(t.table, s.batch, { feature: params[2 * t.index] as number, pooling: t.pooling, width: s.width, col: t.col }, s.out));
  }

  /** Accumulates each owned table's row gradients from its source's `dBlock` and applies them, except the tables flagged to be left to the caller. */
  update(sources: readonly (LaneSource | undefined)[], params: LaneParams, step: number): void {
    this.each(sources, (t, s, i) => {
      if (params[2 * t.index + 1] === 1) return;
      const g = this.grads[i] as RowGradients;
      g.reset();
      g.addPooled(s.batch, { feature: params[2 * t.index] as number, pooling: t.pooling, width: s.width, col: t.col }, s.dBlock);
      g.apply(step, s.lr);
    });
  }

  private each(sources: readonly (LaneSource | undefined)[], work: (t: LaneTable, s: LaneSource, i: number) => void): void {
    this.failedAt = -1;
    this.order.forEach((t, i) => {
      const s = sources[t.source];
      if (s === undefined) return;
      try {
        work(t, s, i);
      } catch (err) {
        this.failedAt = t.index;
        throw err;
      }
    });
  }
}
