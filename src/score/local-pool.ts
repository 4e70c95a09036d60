import { Worker } from 'node:worker_threads';
import type { ScoreRangeJob, ScoreRangeResult } from './range-job.js';
import type { FromRangeWorker, ToRangeWorker } from './range-worker.js';
import { WideDeepError } from '../core/errors.js';
import { workerSource } from '../core/worker-source.js';
import { unpackError } from '../data/chunk-transfer.js';
import { runScoreRange } from './range-job.js';
import { releaseRangeModel } from './model-cache.js';

/** What a runner reports while it runs the ranges of a run. */
export interface RangeHooks {
  /** Rows read so far in a running range (read and skipped). */
  onRows?(index: number, rows: number): void;
  /** A range finished. */
  onDone?(result: ScoreRangeResult): void;
  /** Stops the run: running ranges are aborted, no other starts, and the call rejects with the signal's reason. */
  readonly signal?: AbortSignal;
}

/** Runs a run's range jobs somewhere (this process, worker threads, a queue); results in job order. */
export type RunRanges = (jobs: readonly ScoreRangeJob[], hooks: RangeHooks) => Promise<ScoreRangeResult[]>;

/**
 * The local runner of `widedeep score --workers n`: one worker runs the ranges in order in this thread; more
 * run on worker threads, each taking the next range of the shared list when it is free. A failed range stops
 * the run as `predict` stops at the first bad row: no later range starts, running later ones are aborted, the
 * earlier ones finish, and the error of the earliest failed range is thrown.
 */
export function localRanges(workers: number): RunRanges {
  return workers <= 1 ? inThisThread : (jobs, hooks) => onThreads(jobs, workers, hooks);
}

async function inThisThread(jobs: readonly ScoreRangeJob[], hooks: RangeHooks): Promise<ScoreRangeResult[]> {
  const results: ScoreRangeResult[] = [];
  try {
    for (const job of jobs) {
      const result = await runScoreRange(job, { onProgress: (rows) => hooks.onRows?.(job.index, rows), ...(hooks.signal !== undefined ? { signal: hooks.signal } : {}) });
      hooks.onDone?.(result);
      results.push(result);
    }
  } finally {
    await releaseRangeModel();
  }
  return results;
}

async function onThreads(jobs: readonly ScoreRangeJob[], workers: number, hooks: RangeHooks): Promise<ScoreRangeResult[]> {
  const { code, workerData } = workerSource(import.meta.url, 'range-worker');
  const threads = Array.from({ length: Math.min(workers, jobs.length) }, () => new RangeThread(new Worker(code, { eval: true, workerData })));
  const results: ScoreRangeResult[] = [];
  const failures = new Map<number, unknown>();
  let next = 0;
  const stopAt = (): number => (failures.size > 0 ? Math.min(...failures.keys()) : Infinity);
  const onAbort = (): void => {
    failures.set(-1, hooks.signal?.reason);
    for (const t of threads) t.abortAfter(-1);
  };
  hooks.signal?.addEventListener('abort', onAbort, { once: true });
  if (hooks.signal?.aborted === true) onAbort();
  const drive = async (t: RangeThread): Promise<void> => {
    while (next < jobs.length && next < stopAt()) {
      const job = jobs[next++] as ScoreRangeJob;
      try {
        const result = await t.run(job, hooks);
        results[job.index] = result;
        hooks.onDone?.(result);
      } catch (e) {
        failures.set(job.index, e);
        for (const other of threads) other.abortAfter(stopAt());
      }
    }
  };
  try {
    await Promise.all(threads.map(drive));
  } finally {
    hooks.signal?.removeEventListener('abort', onAbort);
    await Promise.all(threads.map((t) => t.close()));
  }
  if (failures.size > 0) throw failures.get(stopAt());
  return jobs.map((j) => results[j.index] as ScoreRangeResult);
}

/** One worker thread and the job it runs. */
class RangeThread {
  private running: number | null = null;
  private failure: Error | null = null;

  constructor(private readonly worker: Worker) {
    worker.on('error', (e) => (this.failure ??= new WideDeepError('INTERNAL', `a scoring worker failed: ${e.message}`, {}, { cause: e })));
    worker.on('exit', (code) => (this.failure ??= new WideDeepError('INTERNAL', `a scoring worker exited with code ${code}`)));
  }

  run(job: ScoreRangeJob, hooks: RangeHooks): Promise<ScoreRangeResult> {
    return new Promise((ok, fail) => {
      const settle = (): void => {
        this.running = null;
        this.worker.off('message', onMessage);
        this.worker.off('error', onFailure);
        this.worker.off('exit', onFailure);
      };
      const onMessage = (m: FromRangeWorker): void => {
        if (m.type === 'progress') hooks.onRows?.(m.index, m.rows);
        else if (m.type === 'done') {
          settle();
          ok(m.result);
        } else if (m.type === 'error') {
          settle();
          fail(unpackError(m.error));
        }
      };
      const onFailure = (): void => {
        settle();
        fail(this.failure);
      };
      if (this.failure !== null) return fail(this.failure);
      this.running = job.index;
      this.worker.on('message', onMessage);
      this.worker.on('error', onFailure);
      this.worker.on('exit', onFailure);
      this.post({ type: 'job', job });
    });
  }

  /** Aborts the running job when it comes after range `index`. */
  abortAfter(index: number): void {
    if (this.running !== null && this.running > index) this.post({ type: 'abort' });
  }

  /** Frees the model (its ONNX sessions) in the worker, then ends the worker. */
  async close(): Promise<void> {
    if (this.failure === null) {
      await new Promise<void>((ok) => {
        const onMessage = (m: FromRangeWorker): void => {
          if (m.type !== 'closed') return;
          this.worker.off('message', onMessage);
          ok();
        };
        this.worker.on('message', onMessage);
        this.worker.once('exit', () => ok());
        this.post({ type: 'close' });
      });
    }
    await this.worker.terminate();
  }

  private post(m: ToRangeWorker): void {
    this.worker.postMessage(m);
  }
}
