import { resolve } from 'node:path';
import { runQueueWorker } from '../scale/worker.js';
import { flags, intFlag, log, required, threadsFlag } from './args.js';
import { WORKER_OPTIONS } from './options/worker.js';

/**
 * `widedeep worker`: runs trials (`experiment --queue`) and score ranges (`score --queue`) from BullMQ until
 * SIGTERM or SIGINT (the jobs in hand go back to the queue at once, exit 0) or, with --idle-exit, until the
 * queues stay empty. Any number of workers, on any machine that sees the same data paths, share the work.
 */
export async function worker(argv: string[]): Promise<number> {
  const { values } = flags('worker', argv, WORKER_OPTIONS);
  const url = required('worker', values.queue, 'queue');
  const threads = threadsFlag(values.threads);
  const concurrency = intFlag(values.concurrency, 'concurrency');
  const lockSeconds = intFlag(values['lock-seconds'], 'lock-seconds');
  const idleExitSeconds = intFlag(values['idle-exit'], 'idle-exit');
  // The jobs run in child processes, which read the data directory from the environment.
  if (values['data-dir'] !== undefined) process.env.WIDEDEEP_DATA_DIR = resolve(values['data-dir']);
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  try {
    await runQueueWorker(url, {
      signal: stop.signal,
      log: (line) => log(`widedeep worker: ${line}`),
      ...(concurrency !== undefined ? { concurrency } : {}),
      ...(threads !== undefined ? { threads } : {}),
      ...(lockSeconds !== undefined ? { lockSeconds } : {}),
      ...(idleExitSeconds !== undefined ? { idleExitSeconds } : {}),
      ...(values['queue-prefix'] !== undefined ? { prefix: values['queue-prefix'] } : {}),
    });
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
  return 0;
}
