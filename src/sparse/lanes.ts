import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { type ErrorCode, WideDeepError } from '../core/index.js';
import type { SparseBatch } from '../core/index.js';
import { workerSource } from '../core/worker-source.js';
import { Lane, type LaneTable } from './lane.js';
import type { Pooling } from './slots.js';
import type { SparseTable, SparseTableConfigNormalized } from './table.js';

/** Slots of the control block (an Int32Array over a SharedArrayBuffer) the lanes share. */
export const CTL = { seq: 0, op: 1, batchSize: 2, ids: 3, features: 4, weights: 5, width: 6, step: 7, done: 16, error: 16 + 64 } as const;
export const OP = { setup: 1, buffers: 2, gather: 3, update: 4, stop: 5, keys: 6 } as const;
/** At most this many worker lanes (the control block's size). */
export const MAX_SPARSE_WORKERS = 63;

/** What a worker lane is set up with (sent once, on its port). */
export interface LaneSetup {
  readonly tables: readonly { index: number; lane: number; pooling: Pooling; col: number; config: SparseTableConfigNormalized; data: SharedArrayBuffer }[];
  readonly params: SharedArrayBuffer;
}

/** The shared buffers of one step's batch and blocks (sent again whenever one grows). */
export interface LaneBuffers {
  readonly ids: SharedArrayBuffer;
  readonly offsets: SharedArrayBuffer;
  readonly weights: SharedArrayBuffer;
  readonly out: SharedArrayBuffer;
  readonly dBlock: SharedArrayBuffer;
}

/** A pooled table to share out: it must live in a SharedArrayBuffer (`sharedStorage`). */
export interface PooledTable {
  readonly table: SparseTable;
  readonly pooling: Pooling;
  readonly col: number;
}

const WAIT_MS = 60_000;

/**
 * The sparse phase of a step on several threads (`train.sparseWorkers`, `WideDeepModel.create`'s
 * `sparseWorkers`): the calling thread is lane 0 and each worker thread one more lane. Every pooled table is
 * owned by one lane (table i by lane i mod lanes), which does its gather, its gradient accumulation and its
 * row updates; tables live in SharedArrayBuffers, as do the step's ids, offsets, weights, the gathered block
 * and its gradient. The calling thread dispatches through a control block (Atomics), does its own lane's
 * share and waits for the others, so a call returns with the work done, exactly as on one thread: each
 * table's arithmetic is the same in the same order, so the weights are the same bit for bit at any count.
 *
 * ```
 * gather(batch):  stage ids/offsets -> [lane 0: tables 0, L, 2L..] [lane 1: tables 1, L+1..] ... -> block
 * update(dBlock): copy d_block in   -> each lane: reset, addPooled, apply on its own tables (rows disjoint)
 * ```
 */
export class SparseLanes {
  private readonly ctl: Int32Array;
  private readonly lrSlot: Float64Array;
  private main = new Lane([]);
  private params: Int32Array<ArrayBufferLike> = new Int32Array(0);
  private width = 0;
  private bufs: LaneBuffers | null = null;
  private staged: SparseBatch | null = null;
  /** The batch keys the workers hold (for the errors they raise, which name the feature). */
  private keys: readonly string[] | null = null;
  private seq = 0;
  /** An op begun (`beginGather`, `beginUpdate`) and not yet joined: the workers may still be on it. */
  private pending: { readonly seq: number; readonly op: number; readonly batch: SparseBatch; readonly own: () => void } | null = null;

  private constructor(shared: { ctl: SharedArrayBuffer; lr: SharedArrayBuffer }, private readonly workers: readonly Worker[], private readonly ports: readonly MessagePort[]) {
    this.ctl = new Int32Array(shared.ctl);
    this.lrSlot = new Float64Array(shared.lr);
  }

  /** Worker lanes, besides the calling thread's. */
  get workerCount(): number {
    return this.workers.length;
  }

  /** Starts `workers` worker lanes (besides the calling thread's). */
  static async start(workers: number): Promise<SparseLanes> {
    if (!Number.isInteger(workers) || workers < 1 || workers > MAX_SPARSE_WORKERS) {
      throw new WideDeepError('CONFIG', `sparseWorkers must be an integer in [1, ${MAX_SPARSE_WORKERS}], got ${workers}`, {
        field: 'train.sparseWorkers',
        fix: 'use 1 or more, e.g. the cores minus one; leave it out to run the sparse side on one thread',
      });
    }
    const ctl = new SharedArrayBuffer(4 * (CTL.error + 64));
    const lr = new SharedArrayBuffer(8);
    const { code, workerData: { module, tsx } } = workerSource(import.meta.url, 'lane-worker');
    const started = Array.from({ length: workers }, (_, i) => {
      const channel = new MessageChannel();
      const worker = new Worker(code, { eval: true, workerData: { module, tsx, ctl, lr, port: channel.port2, lane: i + 1 }, transferList: [channel.port2] });
      worker.unref();
      const ready = new Promise<void>((resolve, reject) => {
        worker.once('message', () => resolve());
        worker.once('error', (err) => reject(new WideDeepError('INTERNAL', `a sparse worker failed to start: ${err.message}`, {}, { cause: err })));
      });
      return { worker, port: channel.port1, ready };
    });
    try {
      await Promise.all(started.map((s) => s.ready));
    } catch (err) {
      await Promise.all(started.map((s) => s.worker.terminate()));
      throw err;
    }
    return new SparseLanes(
      { ctl, lr },
      started.map((s) => s.worker),
      started.map((s) => s.port),
    );
  }

  /** Lanes in all: the workers and the calling thread. */
  get count(): number {
    return this.workers.length + 1;
  }

  /**
   * Shares `tables` out; `width` is the block's floats per example. `mainLoad`: the calling thread's other work
   * during the sparse phases (the wide part), in the units of a table's cost (its dim: floats gathered and
   * updated per id), so that it gets fewer tables (`laneOf`).
   */
  attach(tables: readonly PooledTable[], width: number, mainLoad = 0): void {
    this.settle();
    this.width = width;
    const params = new SharedArrayBuffer(4 * 2 * Math.max(1, tables.length));
    this.params = new Int32Array(params);
    const lanes = laneOf(tables.map((t) => t.table.dim), this.count, mainLoad);
    const owned = tables.map((t, index): LaneTable & { lane: number } => ({ ...t, index, lane: lanes[index] as number }));
    this.main = new Lane(owned.filter((t) => t.lane === 0));
    const setup: LaneSetup = {
      params,
      tables: owned.map((t) => {
        const { index, lane, pooling, col } = t;
        return { index, lane, pooling, col, config: t.table.config, data: t.table.data.buffer as SharedArrayBuffer };
      }),
    };
    for (const port of this.ports) port.postMessage(setup);
    this.run(OP.setup);
  }

  /** The gathered block of an n-example batch: a view into shared memory, valid until the next gather. */
  block(n: number): Float32Array {
    return new Float32Array(this.buffers(n, 0, 1).out, 0, n * this.width);
  }

  /**
   * Gathers every table into `block(batch.batchSize)`; `features[i]` is table i's feature index in `batch`.
   */
  gather(batch: SparseBatch, features: ArrayLike<number>): Float32Array {
    if (this.pending?.op !== OP.gather || this.pending.batch !== batch) this.beginGather(batch, features);
    this.settle(false);
    return this.block(batch.batchSize);
  }

  /**
   * Starts `gather` on the workers and returns at once, so that the calling thread can do other work (the
   * wide part's feed) while they gather; `gather` with the same batch then does this thread's share and waits.
   */
  beginGather(batch: SparseBatch, features: ArrayLike<number>): void {
    this.settle();
    this.staged = null;
    this.stage(batch, features);
    const out = this.block(batch.batchSize);
    this.pending = { seq: this.dispatch(OP.gather), op: OP.gather, batch, own: () => this.main.gather(batch, this.params, this.width, out) };
  }

  /**
   * Applies the gradient of the gathered block (`dBlock`, [batchSize, width]) to every table at `step` and
   * rate `lr`, except the tables with `leave[i]` set (their update is the caller's: a weight average).
   */
  update(batch: SparseBatch, features: ArrayLike<number>, leave: ArrayLike<boolean>, dBlock: Float32Array, step: number, lr: number | undefined): void {
    if (this.pending?.op !== OP.update || this.pending.batch !== batch) this.beginUpdate(batch, features, leave, dBlock, step, lr);
    this.settle(false);
  }

  /** Starts `update` on the workers and returns at once (see `beginGather`); `update` with the same batch completes it. */
  beginUpdate(batch: SparseBatch, features: ArrayLike<number>, leave: ArrayLike<boolean>, dBlock: Float32Array, step: number, lr: number | undefined): void {
    this.settle();
    this.stage(batch, features);
    for (let i = 0; i < this.params.length / 2; i++) this.params[2 * i + 1] = leave[i] ? 1 : 0;
    const shared = new Float32Array(this.buffers(batch.batchSize, 0, 1).dBlock, 0, dBlock.length);
    shared.set(dBlock);
    this.lrSlot[0] = lr ?? Number.NaN;
    Atomics.store(this.ctl, CTL.step, step);
    this.pending = { seq: this.dispatch(OP.update), op: OP.update, batch, own: () => this.main.update(batch, this.params, this.width, shared, step, lr) };
  }

  /**
   * Completes a begun op: runs this thread's share and waits for the workers, throwing their error. Every
   * other call first completes an op still pending (`stale`): its step threw before completing it (another
   * part's feed or update refused the batch), so it is finished in full, in order, and its own error, if
   * any, is dropped: the step already failed with the error that stopped it, and this call's batch is not
   * the one at fault.
   */
  private settle(stale = true): void {
    const p = this.pending;
    if (p === null) return;
    this.pending = null;
    try {
      this.join(p.seq, p.own);
    } catch (err) {
      if (!stale) throw err;
    }
  }

  async release(): Promise<void> {
    Atomics.store(this.ctl, CTL.op, OP.stop);
    Atomics.store(this.ctl, CTL.seq, ++this.seq);
    Atomics.notify(this.ctl, CTL.seq);
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  /** Copies the batch's ids, offsets and weights into shared memory (once per batch) and sets the features. */
  private stage(batch: SparseBatch, features: ArrayLike<number>): void {
    for (let i = 0; i < features.length; i++) this.params[2 * i] = features[i] as number;
    if (this.staged === batch) return;
    if (batch.keys !== this.keys) {
      for (const port of this.ports) port.postMessage(batch.keys);
      this.run(OP.keys);
      this.keys = batch.keys;
    }
    const n = batch.batchSize;
    const b = this.buffers(n, batch.ids.length, batch.keys.length);
    new Int32Array(b.ids, 0, batch.ids.length).set(batch.ids);
    new Int32Array(b.offsets, 0, batch.offsets.length).set(batch.offsets);
    if (batch.weights) new Float32Array(b.weights, 0, batch.weights.length).set(batch.weights);
    Atomics.store(this.ctl, CTL.batchSize, n);
    Atomics.store(this.ctl, CTL.ids, batch.ids.length);
    Atomics.store(this.ctl, CTL.features, batch.keys.length);
    Atomics.store(this.ctl, CTL.weights, batch.weights ? 1 : 0);
    Atomics.store(this.ctl, CTL.width, this.width);
    this.staged = batch;
  }

  /** The shared buffers, grown (and sent to the workers again) when a batch needs more. */
  private buffers(n: number, ids: number, features: number): LaneBuffers {
    const b = this.bufs;
    const offsets = 4 * (features * n + 1);
    const block = 4 * n * this.width;
    if (b && b.ids.byteLength >= 4 * ids && b.offsets.byteLength >= offsets && b.out.byteLength >= block) return b;
    const grow = (have: SharedArrayBuffer | undefined, need: number): SharedArrayBuffer =>
      have && have.byteLength >= need ? have : new SharedArrayBuffer(Math.max(need, 2 * (have?.byteLength ?? 0)));
    const idsBuffer = grow(b?.ids, 4 * Math.max(ids, 1));
    const next: LaneBuffers = {
      ids: idsBuffer,
      weights: idsBuffer === b?.ids ? b.weights : new SharedArrayBuffer(idsBuffer.byteLength),
      offsets: grow(b?.offsets, offsets),
      out: grow(b?.out, block),
      dBlock: grow(b?.dBlock, block),
    };
    this.bufs = next;
    for (const port of this.ports) port.postMessage(next);
    this.run(OP.buffers);
    return next;
  }

  /** Dispatches `op` to every worker, runs the calling thread's share, and waits for all; a worker's error is thrown here. */
  private run(op: number, own?: () => void): void {
    this.join(this.dispatch(op), own);
  }

  /** Wakes the workers on `op`; returns its sequence number. */
  private dispatch(op: number): number {
    Atomics.store(this.ctl, CTL.op, op);
    const seq = ++this.seq;
    Atomics.store(this.ctl, CTL.seq, seq);
    Atomics.notify(this.ctl, CTL.seq);
    return seq;
  }

  /** Runs the calling thread's share of op `seq` and waits for every worker to finish it; a worker's error is thrown here. */
  private join(seq: number, own?: () => void): void {
    let failure: unknown = null;
    try {
      own?.();
    } catch (err) {
      failure = err;
    }
    this.workers.forEach((_, i) => {
      const slot = CTL.done + i + 1;
      const start = Date.now();
      for (let v = Atomics.load(this.ctl, slot); v !== seq; v = Atomics.load(this.ctl, slot)) {
        if (Date.now() - start > WAIT_MS) throw new WideDeepError('INTERNAL', `sparse worker ${i + 1} did not answer in ${WAIT_MS / 1000} s`);
        Atomics.wait(this.ctl, slot, v, 1000);
      }
      if (Atomics.load(this.ctl, CTL.error + i + 1) === seq && failure === null) {
        const m = receiveMessageOnPort(this.ports[i] as MessagePort)?.message as { message: string; code: ErrorCode; details: object } | undefined;
        failure = new WideDeepError(m?.code ?? 'INTERNAL', m?.message ?? `sparse worker ${i + 1} failed`, m?.details ?? {});
      }
    });
    if (failure !== null) throw failure;
  }
}

/**
 * The lane of each table (`costs[i]`: table i's cost), balanced greedily: tables in decreasing cost (ties in
 * table order) each go to the lane with the least load so far (ties to the lowest lane), lane 0 starting at
 * `mainLoad`. Deterministic; which lane owns a table never changes its arithmetic, only who runs it.
 */
export function laneOf(costs: readonly number[], lanes: number, mainLoad = 0): number[] {
  const load = Array.from({ length: lanes }, (_, l) => (l === 0 ? mainLoad : 0));
  const lane = new Array<number>(costs.length).fill(0);
  const order = costs.map((_, i) => i).sort((a, b) => (costs[b] as number) - (costs[a] as number) || a - b);
  for (const i of order) {
    let best = 0;
    for (let l = 1; l < lanes; l++) if ((load[l] as number) < (load[best] as number)) best = l;
    lane[i] = best;
    load[best] = (load[best] as number) + (costs[i] as number);
  }
  return lane;
}
