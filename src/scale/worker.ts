import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Queue, Worker } from 'bullmq';
import { WideDeepError } from '../core/errors.js';
import { threadsPerTrial } from '../experiments/runner.js';
import { availableCores } from '../runtime/cores.js';
import { JobSlots } from './job-slots.js';
import { DEFAULT_PREFIX, JOB_KINDS, QUEUE_NAMES, checkPrefix } from './queues.js';
import { connectionOptions, parseRedisUrl, probeRedis } from './redis-url.js';

export interface QueueWorkerOptions {
  /** Jobs this process runs at once, both queues together (default 1). */
  readonly concurrency?: number;
  /** ONNX Runtime threads of each job (a trial submitted with --threads keeps its own). Default: the cores / concurrency. */
  readonly threads?: number;
  /**
   * BullMQ lock of a running job, renewed every half of it (default 30 s). A worker that dies (kill -9, lost
   * machine) has its job run again elsewhere once the lock has expired and another worker's stalled-job check
   * (same interval) has seen it.
   */
  readonly lockSeconds?: number;
  readonly prefix?: string;
  /** Stop (exit 0) once no job is queued, delayed or running on either queue for this many seconds. */
  readonly idleExitSeconds?: number;
  /** Stop: running jobs are given back to the queue at once (they run again, elsewhere or later). */
  readonly signal?: AbortSignal;
  /** Progress lines (job started, done, failed, given back). */
  readonly log?: (line: string) => void;
}

export interface QueueWorkerSummary {
  readonly completed: number;
  readonly failed: number;
  readonly gaveBack: number;
  /** Why it stopped: the signal, or idle queues (idleExitSeconds). */
  readonly stoppedBy: 'signal' | 'idle';
}

function checkCount(n: number, flag: string, min: number): number {
  if (!(Number.isInteger(n) && n >= min)) throw new WideDeepError('CONFIG', `${flag} must be an integer >= ${min}, got ${n}`, { field: flag });
  return n;
}

/**
 * `widedeep worker`: takes jobs from both widedeep queues (trials and score ranges) and runs each in a child
 * process, up to `concurrency` at a time, until the signal or idle queues stop it. Results go back to Redis
 * as the jobs' return values; the submitters collect them.
 */
export async function runQueueWorker(url: string, o: QueueWorkerOptions = {}): Promise<QueueWorkerSummary> {
  const concurrency = checkCount(o.concurrency ?? 1, '--concurrency', 1);
  const lockMs = checkCount(o.lockSeconds ?? 30, '--lock-seconds', 1) * 1000;
  if (o.threads !== undefined) checkCount(o.threads, '--threads', 1);
  if (o.idleExitSeconds !== undefined) checkCount(o.idleExitSeconds, '--idle-exit', 1);
  const prefix = checkPrefix(o.prefix ?? DEFAULT_PREFIX);
  const target = parseRedisUrl(url);
  await probeRedis(target);
  const connection = connectionOptions(target);
  const log = o.log ?? (() => undefined);
  const name = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const ctx = { budget: threadsPerTrial(availableCores(), concurrency), ...(o.threads !== undefined ? { threads: o.threads } : {}) };
  const jobs = new JobSlots(concurrency, ctx, log);

  const workers = JOB_KINDS.map(
    (kind) =>
      new Worker(QUEUE_NAMES[kind], jobs.processor(kind), {
        connection,
        prefix,
        name,
        concurrency,
        lockDuration: lockMs,
        stalledInterval: lockMs,
        maxStalledCount: 2,
        autorun: false,
      }),
  );
  let warned = 0;
  // ioredis reconnects by itself (every job waits meanwhile); one line every 10 s says so.
  const onError = (err: Error) => {
    if (Date.now() - warned < 10_000) return;
    warned = Date.now();
    log(`the connection to ${target.display} failed (${err.message}); waiting for Redis to come back`);
  };
  for (const w of workers) w.on('error', onError);
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  log(`worker ${name} ready on ${target.display}: queues ${JOB_KINDS.map((k) => QUEUE_NAMES[k]).join(', ')}, concurrency ${concurrency}, lock ${lockMs / 1000} s`);
  const running = workers.map((w) => w.run().catch((err: unknown) => log(`queue worker stopped: ${(err as Error).message}`)));

  const over = new AbortController();
  const stoppedBy = await Promise.race([stopSignal(o.signal), idle(connection, prefix, o.idleExitSeconds, over.signal, onError)]);
  over.abort();
  // No more fetching (a job given back would otherwise be taken again at once), then stop the running ones.
  await Promise.all(workers.map((w) => w.pause(true)));
  jobs.stop();
  // The processors give their jobs back (moveToWait); with Redis gone that never ends: then the jobs run
  // again elsewhere once their locks expire, and the connections are cut rather than closed politely.
  if (!(await within(GIVE_BACK_MS, () => jobs.settled()))) log(`could not give the running jobs back within ${GIVE_BACK_MS / 1000} s (is Redis reachable?): they run again once their locks expire`);
  await within(GIVE_BACK_MS, () => Promise.all([...workers.map((w) => w.close(true)), ...running]));
  const { completed, failed, gaveBack } = jobs.counts;
  log(`worker ${name} stopped (${stoppedBy}): ${completed} done, ${failed} failed, ${gaveBack} given back`);
  return { completed, failed, gaveBack, stoppedBy };
}

const GIVE_BACK_MS = 10_000;

/** Runs `f`, waiting at most `ms`: true when it finished in time. */
async function within(ms: number, f: () => Promise<unknown>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((ok) => (timer = setTimeout(() => ok(false), ms)));
  try {
    return await Promise.race([f().then(() => true), late]);
  } finally {
    clearTimeout(timer);
  }
}

function stopSignal(signal: AbortSignal | undefined): Promise<'signal'> {
  return new Promise((ok) => {
    if (!signal) return;
    if (signal.aborted) ok('signal');
    else signal.addEventListener('abort', () => ok('signal'), { once: true });
  });
}

/** Resolves once both queues have held no waiting, delayed, prioritized or active job for `seconds`. */
async function idle(connection: ReturnType<typeof connectionOptions>, prefix: string, seconds: number | undefined, over: AbortSignal, onError: (err: Error) => void): Promise<'idle'> {
  if (seconds === undefined) return new Promise<never>(() => undefined);
  const queues = JOB_KINDS.map((k) => new Queue(QUEUE_NAMES[k], { connection, prefix }));
  for (const q of queues) q.on('error', onError);
  try {
    let since = Date.now();
    while (!over.aborted) {
      await new Promise((r) => setTimeout(r, Math.min(1000, seconds * 1000)));
      const counts = await Promise.all(queues.map((q) => q.getJobCounts('waiting', 'delayed', 'prioritized', 'active', 'paused')));
      const busy = counts.some((c) => Object.values(c).some((n) => n > 0));
      if (busy) since = Date.now();
      else if (Date.now() - since >= seconds * 1000) return 'idle';
    }
    return 'idle';
  } finally {
    await Promise.all(queues.map((q) => q.close()));
  }
}
