import { THREADS_OPTION } from '../args.js';

/**
 * The flags of `widedeep worker`: what src/cli/worker.ts parses with flags() and what --help lists, one table.
 * Apart from that module, so that the command table (src/cli/main.ts) holds it without loading the command's
 * modules.
 */
export const WORKER_OPTIONS = {
  queue: { type: 'string', value: 'redis://host:port', required: true, help: 'the Redis holding the BullMQ queues (widedeep-trials, widedeep-score)' },
  concurrency: { type: 'string', value: 'n', help: 'jobs run at once by this process (both queues together), each in its own child process', shown: '1' },
  threads: { ...THREADS_OPTION.threads, help: "ONNX Runtime intra-op threads of each job, >= 1 (a job submitted with --threads keeps its own)", shown: 'the cores / --concurrency' },
  'lock-seconds': { type: 'string', value: 's', help: "a running job's lock: a worker killed mid-job has the job run elsewhere this long after its last renewal", shown: '30' },
  'idle-exit': { type: 'string', value: 's', help: 'exit 0 once both queues have held no queued or running job for this long (batch jobs: Kubernetes, AWS Batch)', shown: 'never' },
  'queue-prefix': { type: 'string', value: 'name', help: 'Redis key prefix of the queues (the submitters must use the same)', shown: 'widedeep' },
  'data-dir': { type: 'string', value: 'dir', help: 'where the built-in datasets live', shown: '$WIDEDEEP_DATA_DIR, else ../shared/data' },
} as const;
