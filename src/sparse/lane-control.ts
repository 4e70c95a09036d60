import { type KernelMemoryObject, kernelView } from './simd/kernels.js';
import type { Pooling } from './slots.js';
import type { SparseTableConfigNormalized } from './table.js';

/**
 * The control block and messages `SparseLanes` (lanes.ts) and its workers (lane-worker.ts) share.
 */

/**
 * The step's sources of sparse work: each has its own SparseBatch and block. 0: the embeddings (the deep
 * batch, the `emb` block); 1: the wide part (the wide batch, one column per wide feature and output).
 */
export const SOURCES = 2;
export const EMB_SOURCE = 0;
export const WIDE_SOURCE = 1;

/** Slots of one source in the control block, from `CTL.source + SOURCE_SLOTS * source`. */
export const SOURCE = { batchSize: 0, ids: 1, features: 2, weights: 3, width: 4, active: 5 } as const;
const SOURCE_SLOTS = 6;

/** Slots of the control block (an Int32Array over a SharedArrayBuffer) the lanes share. */
export const CTL = { seq: 0, op: 1, step: 2, source: 4, done: 16, error: 16 + 64, errorAt: 16 + 128 } as const;
export const OP = { setup: 1, buffers: 2, gather: 3, update: 4, stop: 5, keys: 6 } as const;
/** At most this many worker lanes (the control block's size). */
export const MAX_SPARSE_WORKERS = 63;

/** The control slot of field `field` of source `s`. */
export function sourceSlot(s: number, field: keyof typeof SOURCE): number {
  return CTL.source + SOURCE_SLOTS * s + SOURCE[field];
}

/** What a worker lane is set up with (sent once per attach, on its port). */
export interface LaneSetup {
  readonly tables: readonly {
    index: number;
    lane: number;
    source: number;
    pooling: Pooling;
    col: number;
    config: SparseTableConfigNormalized;
    data: SharedArrayBuffer;
    /** The table's floats within `data` (a wide feature's rows are a range of the wide table). */
    offset: number;
    length: number;
    /** The kernel memory `data` belongs to, where it is one (simd/kernels.ts): the worker registers it. */
    memory?: KernelMemoryObject;
  }[];
  readonly params: SharedArrayBuffer;
}

/** The shared buffers of one source's batch and blocks (sent again whenever one grows). */
export interface LaneBuffers {
  readonly ids: SharedArrayBuffer;
  readonly offsets: SharedArrayBuffer;
  readonly weights: SharedArrayBuffer;
  /**
   * The gathered block and its gradient: SharedArrayBuffers of their own, or, where every table of the source
   * lives in one kernel memory, the byte offsets of regions of that memory (`kernelRegion`), where the kernels
   * gather into the block and read its gradient in place; each thread views them through a table of the source
   * (`blockView`).
   */
  readonly out: SharedArrayBuffer | number;
  readonly dBlock: SharedArrayBuffer | number;
  /** Bytes each block holds. */
  readonly blockBytes: number;
}

/** `floats` floats of a block of `LaneBuffers`: its own buffer, or its region of the memory `home` (a table of the source) lives in. */
export function blockView(block: SharedArrayBuffer | number, home: Float32Array | undefined, floats: number): Float32Array {
  if (typeof block !== 'number') return new Float32Array(block, 0, floats);
  if (home === undefined) throw new Error('sparse lanes: a block in a kernel memory, and no table of its source to reach it through');
  return kernelView(home, block, floats);
}
