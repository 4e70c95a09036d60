import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { RowChunk } from './types.js';
import type { ReadSummary } from './source.js';
import type { StartScan } from './scan-worker.js';
import type { StreamControl, StreamMessage, SummaryDelta } from './worker-stream.js';
import { WideDeepError } from '../core/errors.js';
import { workerSource } from '../core/worker-source.js';
import { unpackChunk, unpackError, type PackedChunk, type PackedError } from './chunk-transfer.js';
import { recordBadRow, type ScanPlan } from './scan.js';

/**
 * The main-thread side of worker streams (worker-stream.ts): the scan workers of this folder (scan-worker.ts)
 * and the stream-pass workers of stream-mode training (src/train/stream-worker.ts). Starting a worker costs a
 * few hundred ms (its own DuckDB bindings, and under tsx the sources compiled again), more than a whole scan
 * of a small file, so workers are kept once started, per worker module: an idle worker waits for the next
 * stream, and a worker keeps the process alive only while a stream waits for it. One worker serves one stream
 * at a time; concurrent streams start more.
 */

/** Chunks a scan worker may have decoded ahead of the consumer: enough to cover a slow chunk, few enough to bound memory. */
export const CHUNKS_IN_FLIGHT = 3;

/** A worker module: the caller's `import.meta.url` and the module's name beside it (as `workerSource` takes them). */
export interface WorkerModule {
  readonly from: string;
  readonly file: string;
}

const SCAN_WORKER: WorkerModule = { from: import.meta.url, file: 'scan-worker' };

/** Idle workers per module (keyed by `keyOf`). */
const idle = new Map<string, Worker[]>();

/**
 * An idle worker is ended after this long (each holds its own DuckDB instance, ~100 MB): the epochs and
 * passes of one run reuse it, a long-lived process (a server) does not keep it for good.
 */
let idleMs = 60_000;
const retire = new Map<Worker, NodeJS.Timeout>();

const keyOf = (m: WorkerModule): string => `${m.from}#${m.file}`;
const idleOf = (m: WorkerModule): Worker[] => idle.get(keyOf(m)) ?? idle.set(keyOf(m), []).get(keyOf(m))!;

/** Sets how long an idle worker is kept (workers idle now start their wait again); returns the previous value. */
export function setScanWorkerIdleMs(ms: number): number {
  const before = idleMs;
  idleMs = ms;
  for (const pool of idle.values()) for (const worker of pool) scheduleRetire(worker);
  return before;
}

function scheduleRetire(worker: Worker): void {
  clearTimeout(retire.get(worker));
  // Its 'exit' takes it out of the pool.
  const timer = setTimeout(() => void worker.terminate(), idleMs);
  timer.unref();
  retire.set(worker, timer);
}

/** Workers (of every module) started and waiting for a stream. */
export function idleScanWorkers(): number {
  let n = 0;
  for (const pool of idle.values()) n += pool.length;
  return n;
}

function acquire(module: WorkerModule): Worker {
  const pool = idleOf(module);
  const worker = pool.pop();
  if (worker !== undefined) {
    clearTimeout(retire.get(worker));
    retire.delete(worker);
    return worker;
  }
  const { code, workerData } = workerSource(module.from, module.file);
  const created = new Worker(code, { eval: true, workerData });
  created.unref();
  // A worker that dies while idle leaves the pool (a stream running on it hears of it through its own listeners).
  const drop = (): void => {
    const at = pool.indexOf(created);
    if (at >= 0) pool.splice(at, 1);
    clearTimeout(retire.get(created));
    retire.delete(created);
  };
  created.on('error', drop);
  created.on('exit', drop);
  return created;
}

function release(module: WorkerModule, worker: Worker): void {
  idleOf(module).push(worker);
  scheduleRetire(worker);
}

/** How `workerStream` runs a stream. */
export interface WorkerStreamOptions {
  /** The file the stream reads (named in errors about the worker itself). */
  readonly file: string;
  /** Items the worker may send ahead of the consumer (the read-ahead). */
  readonly inFlight: number;
  /** Receives what the scan's summary gained, with every message. */
  readonly summary: ReadSummary;
  /** Turns a DuckDB failure of the scan (a 'fetch' error) into the error to throw. Default: as it came. */
  readonly diagnose?: (e: Error) => Promise<Error>;
}

/**
 * Starts a stream on a worker of `module` (`start` is posted with a `port` added, the stream's own) and yields
 * its items as they come, with up to `inFlight` of them sent ahead; the worker's error is thrown here, after
 * the items before it. Leaving the loop early stops the stream and frees the worker before return() resolves.
 */
export async function* workerStream<T>(module: WorkerModule, start: Readonly<Record<string, unknown>>, options: WorkerStreamOptions): AsyncGenerator<T, void, undefined> {
  const worker = acquire(module);
  const { port1: port, port2 } = new MessageChannel();
  const link = linkTo(worker, port, options.file);
  const control = (m: StreamControl): void => port.postMessage(m);
  let finished = false;
  try {
    worker.postMessage({ ...start, port: port2 }, [port2]);
    control({ type: 'credit', n: options.inFlight });
    for (;;) {
      const m: StreamMessage<T> = await link.next();
      if (m.type === 'stopped') throw new WideDeepError('INTERNAL', 'the worker stopped unasked', { file: options.file });
      addDelta(options.summary, m);
      if (m.type === 'item') {
        control({ type: 'credit', n: 1 });
        yield m.item;
        continue;
      }
      finished = true;
      if (m.type === 'end') return;
      throw await errorOf(m.error, options.diagnose);
    }
  } finally {
    if (!finished && link.failure() === null) {
      // Stopped early: the worker ends its stream (its fetch in flight lands, its connection closes) and says so.
      control({ type: 'stop' });
      let m: StreamMessage<T> | undefined;
      while (link.failure() === null && (m = await link.next<T>().catch(() => undefined)) !== undefined && m.type === 'item');
    }
    link.close();
    if (link.failure() === null) release(module, worker);
    else void worker.terminate();
  }
}

async function errorOf(error: PackedError, diagnose: ((e: Error) => Promise<Error>) | undefined): Promise<Error> {
  const e = unpackError(error);
  return error.kind === 'fetch' && diagnose !== undefined ? diagnose(e) : e;
}

/** The messages of one stream's port, in order, and the worker's own failure (an error or exit) if any. */
function linkTo(worker: Worker, port: MessagePort, file: string): { next<T>(): Promise<StreamMessage<T>>; failure(): Error | null; close(): void } {
  const queue: StreamMessage<unknown>[] = [];
  let failure: Error | null = null;
  let wake: (() => void) | null = null;
  const notify = (): void => {
    wake?.();
    wake = null;
  };
  const onMessage = (m: StreamMessage<unknown>): void => {
    queue.push(m);
    notify();
  };
  const onError = (e: Error): void => {
    failure ??= new WideDeepError('INTERNAL', `the worker failed: ${e.message}`, { file }, { cause: e });
    notify();
  };
  const onExit = (code: number): void => onError(new Error(`it exited with code ${code}`));
  port.on('message', onMessage);
  worker.on('error', onError);
  worker.on('exit', onExit);
  return {
    // Worker and port keep the process alive only while this side waits for them: a stream whose consumer walked
    // away without return() (its generator suspended at a yield forever) does not hold the process open.
    async next<T>(): Promise<StreamMessage<T>> {
      for (;;) {
        const m = queue.shift();
        if (m !== undefined) return m as StreamMessage<T>;
        if (failure !== null) throw failure;
        worker.ref();
        port.ref();
        await new Promise<void>((resolve) => (wake = resolve));
        worker.unref();
        port.unref();
      }
    },
    failure: () => failure,
    close(): void {
      port.off('message', onMessage);
      port.close();
      worker.off('error', onError);
      worker.off('exit', onExit);
    },
  };
}

/**
 * Runs a scan on a scan worker and yields its chunks, as `scanRows` would in this thread: same chunks, row
 * numbers and values, the same errors (a DuckDB failure goes through `diagnose`, which names the bad row),
 * `summary` kept up to date chunk by chunk. Leaving the loop early stops the scan and frees the worker.
 */
export async function* workerChunks(plan: ScanPlan, summary: ReadSummary, diagnose: (e: unknown) => Promise<Error>): AsyncGenerator<RowChunk, void, undefined> {
  const start: Omit<StartScan, 'port'> = { plan };
  for await (const packed of workerStream<PackedChunk>(SCAN_WORKER, start, { file: plan.file, inFlight: CHUNKS_IN_FLIGHT, summary, diagnose })) yield unpackChunk(packed);
}

/** Adds a message's delta to a summary: its skipped rows past the examples the worker sent are counted, not listed. */
function addDelta(summary: ReadSummary, d: SummaryDelta): void {
  summary.rowsRead += d.rowsRead;
  summary.rowsSkipped += d.rowsSkipped - d.badRows.length;
  for (const bad of d.badRows) recordBadRow(summary, bad);
}
