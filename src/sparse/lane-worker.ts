import { type MessagePort, parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import type { SparseBatch } from '../core/index.js';
import { Lane, type LaneSource } from './lane.js';
import { blockView, type LaneBuffers, type LaneSetup, CTL, OP, SOURCES, sourceSlot } from './lane-control.js';
import { tableOver } from './shared-table.js';
import { registerKernelMemory } from './simd/kernels.js';

/**
 * A worker of `SparseLanes` (lanes.ts): waits on the control block, runs one lane's gather or update over the
 * shared tables and the active sources' buffers, and signals its done counter. Setup, keys and buffers arrive
 * on its port and are read synchronously (`receiveMessageOnPort`) when the control block says so; an error
 * goes back on the port with its message and code, and the lane reports it through its error flag, with the
 * index of the table that met it.
 */
const { ctl: ctlBuffer, lr: lrBuffer, port, lane: me } = workerData as { ctl: SharedArrayBuffer; lr: SharedArrayBuffer; port: MessagePort; lane: number };
const ctl = new Int32Array(ctlBuffer);
const lr = new Float64Array(lrBuffer);
let lane = new Lane([]);
let params: Int32Array<ArrayBufferLike> = new Int32Array(0);
const keys: (readonly string[])[] = Array.from({ length: SOURCES }, () => []);
const bufs: (LaneBuffers | null)[] = new Array(SOURCES).fill(null);
/** Per source: the data of a table of it this lane owns (its blocks, when regions of a kernel memory, are reached through it). */
let homes: (Float32Array | undefined)[] = new Array(SOURCES).fill(undefined);
let seen = 0;

// Loaded: `SparseLanes.start` may dispatch (the loop below never yields to the event loop again).
parentPort?.postMessage('ready');

function read<T>(): T {
  const m = receiveMessageOnPort(port);
  if (!m) throw new Error('sparse lane: the control block announced a message that did not arrive');
  return m.message as T;
}

function batchOf(s: number, b: LaneBuffers): SparseBatch {
  const n = Atomics.load(ctl, sourceSlot(s, 'batchSize'));
  const idsLength = Atomics.load(ctl, sourceSlot(s, 'ids'));
  const features = Atomics.load(ctl, sourceSlot(s, 'features'));
  const weights = Atomics.load(ctl, sourceSlot(s, 'weights')) === 1 ? new Float32Array(b.weights, 0, idsLength) : undefined;
  const k = keys[s] as readonly string[];
  return {
    keys: k.length === features ? k : Array.from({ length: features }, (_, f) => String(f)),
    batchSize: n,
    ids: new Int32Array(b.ids, 0, idsLength),
    offsets: new Int32Array(b.offsets, 0, features * n + 1),
    ...(weights ? { weights } : {}),
  };
}

/** The op's active sources (undefined where a source takes no part). */
function sources(): (LaneSource | undefined)[] {
  return Array.from({ length: SOURCES }, (_, s) => {
    const b = bufs[s];
    if (!b || Atomics.load(ctl, sourceSlot(s, 'active')) !== 1) return undefined;
    const rate = lr[s] as number;
    const width = Atomics.load(ctl, sourceSlot(s, 'width'));
    const floats = Atomics.load(ctl, sourceSlot(s, 'batchSize')) * width;
    // A lane that owns no table of the source never touches its blocks.
    const home = homes[s];
    const view = (block: SharedArrayBuffer | number) => (typeof block === 'number' && home === undefined ? new Float32Array(0) : blockView(block, home, floats));
    return { batch: batchOf(s, b), width, out: view(b.out), dBlock: view(b.dBlock), lr: Number.isNaN(rate) ? undefined : rate };
  });
}

for (;;) {
  Atomics.wait(ctl, CTL.seq, seen);
  seen = Atomics.load(ctl, CTL.seq);
  const op = Atomics.load(ctl, CTL.op);
  if (op === OP.stop) break;
  try {
    if (op === OP.setup) {
      const setup = read<LaneSetup>();
      const mine = setup.tables.filter((t) => t.lane === me);
      for (const t of mine) if (t.memory) registerKernelMemory(t.memory, t.data);
      const owned = mine.map((t) => ({ index: t.index, source: t.source, pooling: t.pooling, col: t.col, table: tableOver(t.config, new Float32Array(t.data, 4 * t.offset, t.length)) }));
      lane = new Lane(owned);
      homes = Array.from({ length: SOURCES }, (_, s) => owned.find((t) => t.source === s)?.table.data);
      params = new Int32Array(setup.params);
    } else if (op === OP.keys) {
      const m = read<{ source: number; keys: readonly string[] }>();
      keys[m.source] = m.keys;
    } else if (op === OP.buffers) {
      const m = read<{ source: number; buffers: LaneBuffers }>();
      bufs[m.source] = m.buffers;
    } else if (op === OP.gather) {
      lane.gather(sources(), params);
    } else if (op === OP.update) {
      lane.update(sources(), params, Atomics.load(ctl, CTL.step));
    }
  } catch (err) {
    const e = err as { message: string; reason?: string; code?: string; details?: unknown };
    port.postMessage({ message: e.reason ?? e.message, code: e.code ?? 'INTERNAL', details: e.details ?? {} });
    Atomics.store(ctl, CTL.errorAt + me, lane.failedAt);
    Atomics.store(ctl, CTL.error + me, seen);
  }
  Atomics.store(ctl, CTL.done + me, seen);
  Atomics.notify(ctl, CTL.done + me);
}
