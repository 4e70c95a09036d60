import { MessageChannel, Worker } from 'node:worker_threads';
import type { RowChunk } from './types.js';
import type { ReadSummary } from './source.js';
import type { ScanControl, ScanMessage, StartScan, SummaryDelta } from './scan-worker.js';
import { WideDeepError } from '../core/errors.js';
import { workerSource } from '../core/worker-source.js';
import { unpackChunk, unpackError } from './chunk-transfer.js';
import { recordBadRow, type ScanPlan } from './scan.js';

/**
 * The main-thread side of scan workers (scan-worker.ts). Starting a worker costs a few hundred ms (its own
 * DuckDB bindings, and under tsx the sources compiled again), more than a whole scan of a small file, so
 * workers are kept once started: an idle worker waits for the next scan, and a worker keeps the process alive
 * only while a scan waits for it. One worker serves one scan at a time; concurrent scans start more.
 */

/** Chunks a worker may have decoded ahead of the consumer: enough to cover a slow chunk, few enough to bound memory. */
export const CHUNKS_IN_FLIGHT = 3;

const idle: Worker[] = [];

/**
 * An idle worker is ended after this long (each holds its own DuckDB instance, ~100 MB): the epochs and
 * passes of one run reuse it, a long-lived process (a server) does not keep it for good.
 */
let idleMs = 60_000;
const retire = new Map<Worker, NodeJS.Timeout>();

/** Sets how long an idle scan worker is kept (workers idle now start their wait again); returns the previous value. */
export function setScanWorkerIdleMs(ms: number): number {
  const before = idleMs;
  idleMs = ms;
  for (const worker of idle) scheduleRetire(worker);
  return before;
}

function scheduleRetire(worker: Worker): void {
  clearTimeout(retire.get(worker));
  // Its 'exit' takes it out of the pool.
  const timer = setTimeout(() => void worker.terminate(), idleMs);
  timer.unref();
  retire.set(worker, timer);
}

/** Scan workers started and waiting for a scan. */
export function idleScanWorkers(): number {
  return idle.length;
}


function acquire(): Worker {
  const worker = idle.pop();
  if (worker !== undefined) {
    clearTimeout(retire.get(worker));
    retire.delete(worker);
    return worker;
  }
  const { code, workerData } = workerSource(import.meta.url, 'scan-worker');
  const created = new Worker(code, { eval: true, workerData });
  created.unref();
  // A worker that dies while idle leaves the pool (a scan running on it hears of it through its own listeners).
  const drop = (): void => {
    const at = idle.indexOf(created);
    if (at >= 0) idle.splice(at, 1);
    clearTimeout(retire.get(created));
    retire.delete(created);
  };
  created.on('error', drop);
  created.on('exit', drop);
  return created;
}

function release(worker: Worker): void {
  idle.push(worker);
  scheduleRetire(worker);
}

/**
 * Runs a scan on a worker and yields its chunks, as `scanRows` would in this thread: same chunks, row numbers
 * and values, the same errors (a DuckDB failure goes through `diagnose`, which names the bad row), `summary`
 * kept up to date chunk by chunk. Leaving the loop early stops the scan and frees the worker before return()
 * resolves.
 */
export async function* workerChunks(plan: ScanPlan, summary: ReadSummary, diagnose: (e: unknown) => Promise<Error>): AsyncGenerator<RowChunk, void, undefined> {
  const worker = acquire();
  const { port1: port, port2 } = new MessageChannel();
  const queue: ScanMessage[] = [];
  let failure: Error | null = null;
  let wake: (() => void) | null = null;
  const notify = (): void => {
    wake?.();
    wake = null;
  };
  const onMessage = (m: ScanMessage): void => {
    queue.push(m);
    notify();
  };
  const onError = (e: Error): void => {
    failure ??= new WideDeepError('INTERNAL', `the scan worker failed: ${e.message}`, { file: plan.file }, { cause: e });
    notify();
  };
  const onExit = (code: number): void => onError(new Error(`it exited with code ${code}`));
  // Worker and port keep the process alive only while this side waits for them: a scan whose consumer walked
  // away without return() (its generator suspended at a yield forever) does not hold the process open.
  const next = async (): Promise<ScanMessage> => {
    for (;;) {
      const m = queue.shift();
      if (m !== undefined) return m;
      if (failure !== null) throw failure;
      worker.ref();
      port.ref();
      await new Promise<void>((resolve) => (wake = resolve));
      worker.unref();
      port.unref();
    }
  };
  const control = (m: ScanControl): void => port.postMessage(m);
  port.on('message', onMessage);
  worker.on('error', onError);
  worker.on('exit', onExit);
  let finished = false;
  try {
    worker.postMessage({ port: port2, plan } satisfies StartScan, [port2]);
    control({ type: 'credit', n: CHUNKS_IN_FLIGHT });
    for (;;) {
      const m = await next();
      if (m.type === 'stopped') throw new WideDeepError('INTERNAL', 'the scan worker stopped unasked', { file: plan.file });
      addDelta(summary, m);
      if (m.type === 'chunk') {
        control({ type: 'credit', n: 1 });
        yield unpackChunk(m.chunk);
        continue;
      }
      finished = true;
      if (m.type === 'end') return;
      throw m.error.kind === 'fetch' ? await diagnose(unpackError(m.error)) : unpackError(m.error);
    }
  } finally {
    if (!finished && failure === null) {
      // Stopped early: the worker ends its scan (its fetch in flight lands, its connection closes) and says so.
      control({ type: 'stop' });
      let m: ScanMessage | undefined;
      while (failure === null && (m = await next().catch(() => undefined)) !== undefined && m.type === 'chunk');
    }
    port.off('message', onMessage);
    port.close();
    worker.off('error', onError);
    worker.off('exit', onExit);
    if (failure === null) release(worker);
    else void worker.terminate();
  }
}

function addDelta(summary: ReadSummary, d: SummaryDelta): void {
  summary.rowsRead += d.rowsRead;
  // Skipped rows past the examples the worker sent are counted, not listed (it keeps the first examples too).
  summary.rowsSkipped += d.rowsSkipped - d.badRows.length;
  for (const bad of d.badRows) recordBadRow(summary, bad);
}
