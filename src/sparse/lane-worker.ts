import { type MessagePort, parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import type { SparseBatch } from '../core/index.js';
import { Lane } from './lane.js';
import { type LaneBuffers, type LaneSetup, CTL, OP } from './lanes.js';
import { tableOver } from './shared-table.js';

/**
 * A worker of `SparseLanes` (lanes.ts): waits on the control block, runs one lane's gather or update over the
 * shared tables and buffers, and signals its done counter. Setup and buffers arrive on its port and are read
 * synchronously (`receiveMessageOnPort`) when the control block says so; an error goes back on the port with
 * its message and code, and the lane reports it through its error flag.
 */
const { ctl: ctlBuffer, lr: lrBuffer, port, lane: me } = workerData as { ctl: SharedArrayBuffer; lr: SharedArrayBuffer; port: MessagePort; lane: number };
const ctl = new Int32Array(ctlBuffer);
const lr = new Float64Array(lrBuffer);
let lane = new Lane([]);
let params: Int32Array<ArrayBufferLike> = new Int32Array(0);
let keys: readonly string[] = [];
let bufs: { raw: LaneBuffers; out: Float32Array; dBlock: Float32Array } | null = null;
let seen = 0;

// Loaded: `SparseLanes.start` may dispatch (the loop below never yields to the event loop again).
parentPort?.postMessage('ready');

function read<T>(): T {
  const m = receiveMessageOnPort(port);
  if (!m) throw new Error('sparse lane: the control block announced a message that did not arrive');
  return m.message as T;
}

function batchOf(b: LaneBuffers): SparseBatch {
  const n = Atomics.load(ctl, CTL.batchSize);
  const idsLength = Atomics.load(ctl, CTL.ids);
  const features = Atomics.load(ctl, CTL.features);
  const weights = Atomics.load(ctl, CTL.weights) === 1 ? new Float32Array(b.weights, 0, idsLength) : undefined;
  return {
    keys: keys.length === features ? keys : Array.from({ length: features }, (_, f) => String(f)),
    batchSize: n,
    ids: new Int32Array(b.ids, 0, idsLength),
    offsets: new Int32Array(b.offsets, 0, features * n + 1),
    ...(weights ? { weights } : {}),
  };
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
      lane = new Lane(mine.map((t) => ({ index: t.index, pooling: t.pooling, col: t.col, table: tableOver(t.config, new Float32Array(t.data)) })));
      params = new Int32Array(setup.params);
    } else if (op === OP.keys) {
      keys = read<readonly string[]>();
    } else if (op === OP.buffers) {
      const b = read<LaneBuffers>();
      bufs = { raw: b, out: new Float32Array(b.out), dBlock: new Float32Array(b.dBlock) };
    } else if (bufs) {
      const batch = batchOf(bufs.raw);
      const width = Atomics.load(ctl, CTL.width);
      if (op === OP.gather) lane.gather(batch, params, width, bufs.out);
      else lane.update(batch, params, width, bufs.dBlock, Atomics.load(ctl, CTL.step), Number.isNaN(lr[0]) ? undefined : lr[0]);
    }
  } catch (err) {
    const e = err as { message: string; reason?: string; code?: string; details?: unknown };
    port.postMessage({ message: e.reason ?? e.message, code: e.code ?? 'INTERNAL', details: e.details ?? {} });
    Atomics.store(ctl, CTL.error + me, seen);
  }
  Atomics.store(ctl, CTL.done + me, seen);
  Atomics.notify(ctl, CTL.done + me);
}
