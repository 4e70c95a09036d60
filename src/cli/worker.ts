import { resolve } from 'node:path';
import { runQueueWorker } from '../scale/worker.js';
import { THREADS_OPTION, flags, intFlag, log, required, threadsFlag } from './args.js';

export const WORKER_OPTIONS = {
  queue: { type: 'string', value: 'redis://host:port', required: true, help: 'the Redis holding the BullMQ queues (widedeep-trials, widedeep-score)' },
  concurrency: { type: 'string', value: 'n', help: 'jobs run at once by this process (both queues together), each in its own child process', shown: '1' },
  threads: { ...THREADS_OPTION.threads, help: "ONNX Runtime intra-op threads of each job, >= 1 (a job submitted with --threads keeps its own)", shown: 'the cores / --concurrency' },
  'lock-seconds': { type: 'string', value: 's', help: "a running job's lock: a worker killed mid-job has the job run elsewhere this long after its last renewal", shown: '30' },
  'idle-exit': { type: 'string', value: 's', help: 'exit 0 once both queues have held no queued or running job for this long (batch jobs: Kubernetes, AWS Batch)', shown: 'never' },
  'queue-prefix': { type: 'string', value: 'name', help: 'Redis key prefix of the queues (the submitters must use the same)', shown: 'widedeep' },
  'data-dir': { type: 'string', value: 'dir', help: 'where the built-in datasets live', shown: '$WIDEDEEP_DATA_DIR, else ../shared/data' },
} as const;

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
