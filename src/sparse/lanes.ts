import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { type ErrorCode, WideDeepError } from '../core/index.js';
import type { SparseBatch } from '../core/index.js';
import { workerSource } from '../core/worker-source.js';
import { Lane, type LaneSource, type LaneTable } from './lane.js';
import { blockView, CTL, type LaneBuffers, type LaneSetup, MAX_SPARSE_WORKERS, OP, SOURCES, sourceSlot } from './lane-control.js';
import { laneOf } from './lane-of.js';
import { kernelMemoryOf, kernelRegion } from './simd/kernels.js';
import type { Pooling } from './slots.js';
import type { SparseTable } from './table.js';

/** A pooled table to share out: it must live in a SharedArrayBuffer (`sharedStorage`, or a view of such a table). */
export interface PooledTable {
  readonly table: SparseTable;
  readonly pooling: Pooling;
  readonly col: number;
  /** Its work per step in the units of laneOf (default: its dim, the floats gathered and updated per id). */
  readonly cost?: number;
}

type Op = typeof OP.gather | typeof OP.update;

/** What a source has staged for the lanes, and which of its staged work has completed. */
interface Staged {
  batch: SparseBatch | null;
  /** Per op (gather, update): staged for its next start since the last one began. */
  readonly wanted: Record<Op, boolean>;
  /** Per op: the staged batch's op has completed. */
  readonly done: Record<Op, boolean>;
  /** The rate of its staged update (undefined: each table's base rate). */
  lr: number | undefined;
}

const WAIT_MS = 60_000;

/**
 * The sparse phase of a step on several threads (`train.sparseWorkers`, `WideDeepModel.create`'s
 * `sparseWorkers`): the calling thread is lane 0 and each worker thread one more lane. Every pooled table
 * (every embedding table, and every wide feature's rows of the wide tables) is owned by one lane (`laneOf`),
 * which does its gather, its gradient accumulation and its row updates; tables live in SharedArrayBuffers,
 * as do the step's ids, offsets, weights, the gathered blocks and their gradients. Parts stage their source
 * (`stageGather`, `stageUpdate`); one dispatch (`startGather`, `startUpdate`) then runs every staged source
 * on every lane, and `gathered` / `updated` do the calling thread's share and wait for the others, so a
 * call returns with the work done, exactly as on one thread: each table's arithmetic is the same in the same
 * order, so the weights are the same bit for bit at any count. When several tables fail, the error is that
 * of the first in table order (the order one thread works them in).
 *
 * ```
 * stageGather(1, wide) stageGather(0, deep) startGather -> [lane 0: its tables] [lane 1: its tables] ... -> blocks
 * stageUpdate(1, ...)  stageUpdate(0, ...)  startUpdate -> each lane: reset, addPooled, apply on its own tables
 * ```
 */
export class SparseLanes {
  private readonly ctl: Int32Array;
  private readonly lrSlots: Float64Array;
  private main = new Lane([]);
  private params: Int32Array<ArrayBufferLike> = new Int32Array(0);
  /** Attached tables per source, in attach order (their global index follows it). */
  private readonly attached: (readonly PooledTable[])[] = Array.from({ length: SOURCES }, () => []);
  private readonly widths = new Array<number>(SOURCES).fill(0);
  private readonly bufs: (LaneBuffers | null)[] = new Array<LaneBuffers | null>(SOURCES).fill(null);
  /** Per source: a table's data when all its tables live in one kernel memory (its blocks are then regions of it). */
  private readonly homes: (Float32Array | undefined)[] = new Array<Float32Array | undefined>(SOURCES).fill(undefined);
  /** The batch keys the workers hold per source (for the errors they raise, which name the feature). */
  private readonly keys: (readonly string[] | null)[] = new Array<readonly string[] | null>(SOURCES).fill(null);
  private readonly staged: Staged[] = Array.from({ length: SOURCES }, () => ({ batch: null, wanted: { [OP.gather]: false, [OP.update]: false }, done: { [OP.gather]: false, [OP.update]: false }, lr: undefined }));
  /** Sources in the order they were first attached. */
  private readonly attachOrder: number[] = [];
  /** The global index of each source's first table. */
  private readonly firstIndex = new Map<number, number>();
  private seq = 0;
  /** An op begun and not yet joined: the workers may still be on it. */
  private pending: { readonly seq: number; readonly op: Op; readonly active: readonly boolean[]; readonly own: () => void } | null = null;

  private constructor(shared: { ctl: SharedArrayBuffer; lr: SharedArrayBuffer }, private readonly workers: readonly Worker[], private readonly ports: readonly MessagePort[]) {
    this.ctl = new Int32Array(shared.ctl);
    this.lrSlots = new Float64Array(shared.lr);
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
    const ctl = new SharedArrayBuffer(4 * (CTL.errorAt + 64));
    const lr = new SharedArrayBuffer(8 * SOURCES);
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
   * Shares out the tables of `source` (replacing the ones it had); `width` is its block's floats per example.
   * Tables are numbered in attach order (a part attached before another comes first in the step's order);
   * every attach balances all tables over the lanes again (`laneOf`).
   */
  attach(source: number, tables: readonly PooledTable[], width: number): void {
    this.settle();
    this.attached[source] = tables;
    this.widths[source] = width;
    const memory = tables.length > 0 ? kernelMemoryOf(tables[0]!.table.data) : undefined;
    this.homes[source] = memory !== undefined && tables.every((t) => kernelMemoryOf(t.table.data) === memory) ? tables[0]!.table.data : undefined;
    // Buffers taken again (the blocks where the new tables live), and the next batch staged into them in full.
    this.bufs[source] = null;
    (this.staged[source] as Staged).batch = null;
    if (!this.attachOrder.includes(source)) this.attachOrder.push(source);
    // Global indices in attach order: the tables of a source attached earlier come first.
    const all = this.attachOrder.flatMap((s) => (this.attached[s] as readonly PooledTable[]).map((t) => ({ ...t, source: s })));
    const params = new SharedArrayBuffer(4 * 2 * Math.max(1, all.length));
    this.params = new Int32Array(params);
    const lanes = laneOf(all.map((t) => t.cost ?? t.table.dim), this.count);
    const owned = all.map((t, index): LaneTable & { lane: number } => ({ index, source: t.source, table: t.table, pooling: t.pooling, col: t.col, lane: lanes[index] as number }));
    this.main = new Lane(owned.filter((t) => t.lane === 0));
    this.firstIndex.clear();
    for (const t of owned) if (!this.firstIndex.has(t.source)) this.firstIndex.set(t.source, t.index);
    const setup: LaneSetup = {
      params,
      tables: owned.map((t) => {
        const data = t.table.data;
        const memory = kernelMemoryOf(data);
        return { index: t.index, lane: t.lane, source: t.source, pooling: t.pooling, col: t.col, config: t.table.config, data: data.buffer as SharedArrayBuffer, offset: data.byteOffset / 4, length: data.length, ...(memory ? { memory } : {}) };
      }),
    };
    for (const port of this.ports) port.postMessage(setup);
    this.run(OP.setup);
  }

  /** The gathered block of `source` for an n-example batch: a view into shared memory, valid until the next gather. */
  private block(source: number, n: number): Float32Array {
    return blockView(this.buffers(source, n, 0, 1).out, this.homes[source], n * (this.widths[source] as number));
  }

  /** Copies `batch` into `source`'s shared buffers for the next `startGather`; `features[i]` is the source's table i's feature index in `batch`. */
  stageGather(source: number, batch: SparseBatch, features: ArrayLike<number>): void {
    this.want(OP.gather, source, batch, features);
  }

  /** Starts the gather of every staged source on the workers and returns at once (the calling thread may do other work meanwhile). */
  startGather(): void {
    this.start(OP.gather);
  }

  /**
   * The gathered block of `source`'s staged batch: completes a begun gather (this thread's share, then
   * waiting for the workers, throwing the first error), or gathers now when none was begun.
   */
  gathered(source: number): Float32Array {
    this.complete(OP.gather, source);
    return this.block(source, ((this.staged[source] as Staged).batch as SparseBatch).batchSize);
  }

  /**
   * Stages the gradient of `source`'s gathered block (`dBlock`, [batchSize, width]) for the next
   * `startUpdate` at `step` and rate `lr`, every table except those with `leave[i]` set (their update is the
   * caller's: a weight average).
   */
  stageUpdate(source: number, batch: SparseBatch, features: ArrayLike<number>, leave: ArrayLike<boolean>, dBlock: Float32Array, step: number, lr: number | undefined): void {
    this.want(OP.update, source, batch, features);
    const first = this.firstIndex.get(source) ?? 0;
    for (let i = 0; i < (this.attached[source] as readonly PooledTable[]).length; i++) this.params[2 * (first + i) + 1] = leave[i] ? 1 : 0;
    blockView(this.buffers(source, batch.batchSize, 0, 1).dBlock, this.homes[source], dBlock.length).set(dBlock);
    Atomics.store(this.ctl, CTL.step, step);
    (this.staged[source] as Staged).lr = lr;
  }

  /** Starts the update of every staged source on the workers and returns at once. */
  startUpdate(): void {
    this.start(OP.update);
  }

  /** Completes `source`'s staged update (see `gathered`). */
  updated(source: number): void {
    this.complete(OP.update, source);
  }

  /** Completes any begun op, then stages `source`'s batch for the next start of `op`. */
  private want(op: Op, source: number, batch: SparseBatch, features: ArrayLike<number>): void {
    this.settle();
    this.stage(source, batch, features);
    const s = this.staged[source] as Staged;
    s.wanted[op] = true;
    s.done[op] = false;
  }

  /** Completes `op` for `source`: settles it when begun, starts and settles it when only staged. */
  private complete(op: Op, source: number): void {
    const s = this.staged[source] as Staged;
    if (this.pending?.op === op && this.pending.active[source]) this.settle(false);
    if (s.done[op]) return;
    if (!s.wanted[op]) throw new WideDeepError('INTERNAL', `sparse lanes: source ${source} was not staged for its ${op === OP.gather ? 'gather' : 'update'}`);
    this.start(op);
    this.settle(false);
  }

  private start(op: Op): void {
    this.settle();
    const active = this.staged.map((s) => s.wanted[op]);
    if (!active.some(Boolean)) return;
    const sources = this.staged.map((s, i): LaneSource | undefined => {
      Atomics.store(this.ctl, sourceSlot(i, 'active'), active[i] ? 1 : 0);
      if (!active[i]) return undefined;
      s.wanted[op] = false;
      const n = (s.batch as SparseBatch).batchSize;
      const width = this.widths[i] as number;
      const b = this.buffers(i, n, 0, 1);
      this.lrSlots[i] = s.lr ?? Number.NaN;
      const home = this.homes[i];
      return { batch: s.batch as SparseBatch, width, out: blockView(b.out, home, n * width), dBlock: blockView(b.dBlock, home, n * width), lr: s.lr };
    });
    const step = Atomics.load(this.ctl, CTL.step);
    const own = op === OP.gather ? () => this.main.gather(sources, this.params) : () => this.main.update(sources, this.params, step);
    this.pending = { seq: this.dispatch(op), op, active, own };
  }

  /**
   * Completes a begun op: runs this thread's share and waits for the workers, throwing the first error. Every
   * other call first completes an op still pending (`stale`): its step threw before completing it (another
   * part's feed or update refused the batch), so it is finished in full, in order, and its own error, if
   * any, is dropped: the step already failed with the error that stopped it.
   */
  private settle(stale = true): void {
    const p = this.pending;
    if (p === null) return;
    this.pending = null;
    try {
      this.join(p.seq, p.own);
    } catch (err) {
      if (!stale) throw err;
      return;
    }
    p.active.forEach((a, i) => {
      if (a) (this.staged[i] as Staged).done[p.op] = true;
    });
  }

  async release(): Promise<void> {
    Atomics.store(this.ctl, CTL.op, OP.stop);
    Atomics.store(this.ctl, CTL.seq, ++this.seq);
    Atomics.notify(this.ctl, CTL.seq);
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  /** Copies a source's batch (ids, offsets, weights) into shared memory (once per batch) and sets its tables' features. */
  private stage(source: number, batch: SparseBatch, features: ArrayLike<number>): void {
    const first = this.firstIndex.get(source) ?? 0;
    for (let i = 0; i < features.length; i++) this.params[2 * (first + i)] = features[i] as number;
    const s = this.staged[source] as Staged;
    if (s.batch === batch) return;
    if (batch.keys !== this.keys[source]) {
      for (const port of this.ports) port.postMessage({ source, keys: batch.keys });
      this.run(OP.keys);
      this.keys[source] = batch.keys;
    }
    const n = batch.batchSize;
    const b = this.buffers(source, n, batch.ids.length, batch.keys.length);
    new Int32Array(b.ids, 0, batch.ids.length).set(batch.ids);
    new Int32Array(b.offsets, 0, batch.offsets.length).set(batch.offsets);
    if (batch.weights) new Float32Array(b.weights, 0, batch.weights.length).set(batch.weights);
    Atomics.store(this.ctl, sourceSlot(source, 'batchSize'), n);
    Atomics.store(this.ctl, sourceSlot(source, 'ids'), batch.ids.length);
    Atomics.store(this.ctl, sourceSlot(source, 'features'), batch.keys.length);
    Atomics.store(this.ctl, sourceSlot(source, 'weights'), batch.weights ? 1 : 0);
    Atomics.store(this.ctl, sourceSlot(source, 'width'), this.widths[source] as number);
    s.batch = batch;
  }

  /** A source's shared buffers, grown (and sent to the workers again) when a batch needs more. */
  private buffers(source: number, n: number, ids: number, features: number): LaneBuffers {
    const b = this.bufs[source] ?? null;
    const offsets = 4 * (features * n + 1);
    const block = 4 * n * (this.widths[source] as number);
    if (b && b.ids.byteLength >= 4 * ids && b.offsets.byteLength >= offsets && b.blockBytes >= block) return b;
    const grow = (have: SharedArrayBuffer | undefined, need: number): SharedArrayBuffer =>
      have && have.byteLength >= need ? have : new SharedArrayBuffer(Math.max(need, 2 * (have?.byteLength ?? 0)));
    const idsBuffer = grow(b?.ids, 4 * Math.max(ids, 1));
    const blocks = b && b.blockBytes >= block ? b : this.blocks(source, Math.max(block, 2 * (b?.blockBytes ?? 0), 4));
    const next: LaneBuffers = {
      ids: idsBuffer,
      weights: idsBuffer === b?.ids ? b.weights : new SharedArrayBuffer(idsBuffer.byteLength),
      offsets: grow(b?.offsets, offsets),
      out: blocks.out,
      dBlock: blocks.dBlock,
      blockBytes: blocks.blockBytes,
    };
    this.bufs[source] = next;
    for (const port of this.ports) port.postMessage({ source, buffers: next });
    this.run(OP.buffers);
    return next;
  }

  /** A source's two blocks of `bytes`: regions of its tables' kernel memory where it has one, else SharedArrayBuffers. */
  private blocks(source: number, bytes: number): Pick<LaneBuffers, 'out' | 'dBlock' | 'blockBytes'> {
    const home = this.homes[source];
    const out = home && kernelRegion(home, bytes / 4);
    const dBlock = home && kernelRegion(home, bytes / 4);
    if (out && dBlock) return { out: out.byteOffset, dBlock: dBlock.byteOffset, blockBytes: bytes };
    return { out: new SharedArrayBuffer(bytes), dBlock: new SharedArrayBuffer(bytes), blockBytes: bytes };
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

  /**
   * Runs the calling thread's share of op `seq` and waits for every worker to finish it. Of the errors the
   * lanes met, the one of the first table in table order is thrown (each lane stops at its first).
   */
  private join(seq: number, own?: () => void): void {
    let failure: unknown = null;
    let failedAt = Number.POSITIVE_INFINITY;
    try {
      own?.();
    } catch (err) {
      failure = err;
      failedAt = this.main.failedAt >= 0 ? this.main.failedAt : -1;
    }
    this.workers.forEach((_, i) => {
      const slot = CTL.done + i + 1;
      const start = Date.now();
      for (let v = Atomics.load(this.ctl, slot); v !== seq; v = Atomics.load(this.ctl, slot)) {
        if (Date.now() - start > WAIT_MS) throw new WideDeepError('INTERNAL', `sparse worker ${i + 1} did not answer in ${WAIT_MS / 1000} s`);
        Atomics.wait(this.ctl, slot, v, 1000);
      }
      if (Atomics.load(this.ctl, CTL.error + i + 1) !== seq) return;
      const m = receiveMessageOnPort(this.ports[i] as MessagePort)?.message as { message: string; code: ErrorCode; details: object } | undefined;
      const at = Atomics.load(this.ctl, CTL.errorAt + i + 1);
      if (failure === null || at < failedAt) {
        failure = new WideDeepError(m?.code ?? 'INTERNAL', m?.message ?? `sparse worker ${i + 1} failed`, m?.details ?? {});
        failedAt = at;
      }
    });
    if (failure !== null) throw failure;
  }
}
