import { isMainThread, parentPort } from 'node:worker_threads';
import type { ScoreRangeJob } from './range-job.js';
import { packError } from '../data/chunk-transfer.js';
import { runScoreRange } from './range-job.js';
import { releaseRangeModel } from './model-cache.js';

/**
 * A local scoring worker (`widedeep score --workers n`): a worker thread with its own DuckDB instance and its
 * own copy of the model, running the range jobs local-pool.ts hands it, one at a time. Loaded only inside a
 * worker thread.
 */

/** Main thread -> worker. */
export type ToRangeWorker = { readonly type: 'job'; readonly job: ScoreRangeJob } | { readonly type: 'abort' } | { readonly type: 'close' };

/** Worker -> main thread. */
export type FromRangeWorker =
  | { readonly type: 'progress'; readonly index: number; readonly rows: number }
  | { readonly type: 'done'; readonly result: Awaited<ReturnType<typeof runScoreRange>> }
  | { readonly type: 'error'; readonly index: number; readonly error: ReturnType<typeof packError> }
  | { readonly type: 'closed' };

/** Progress messages at most this often (each range reports its rows). */
const PROGRESS_MS = 250;

if (!isMainThread && parentPort !== null) {
  const port = parentPort;
  let abort: AbortController | null = null;
  const post = (m: FromRangeWorker): void => port.postMessage(m);
  port.on('message', (m: ToRangeWorker) => {
    if (m.type === 'abort') abort?.abort(new Error('aborted'));
    else if (m.type === 'close') void releaseRangeModel().then(() => post({ type: 'closed' }));
    else {
      const controller = new AbortController();
      abort = controller;
      let last = 0;
      const onProgress = (rows: number): void => {
        if (performance.now() - last < PROGRESS_MS) return;
        last = performance.now();
        post({ type: 'progress', index: m.job.index, rows });
      };
      runScoreRange(m.job, { onProgress, signal: controller.signal }).then(
        (result) => post({ type: 'done', result }),
        (e: unknown) => post({ type: 'error', index: m.job.index, error: packError(e, 'other') }),
      );
    }
  });
}
