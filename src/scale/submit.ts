import { Job, Queue, QueueEvents } from 'bullmq';
import { WideDeepError } from '../core/errors.js';
import { DEFAULT_PREFIX, JOB_OPTIONS, type JobKind, QUEUE_NAMES, checkJobId, checkPrefix } from './queues.js';
import { connectionOptions, parseRedisUrl, probeRedis } from './redis-url.js';

/** Where the jobs of one submission stand. */
export interface QueueProgress {
  /** Waiting, delayed (backoff) or given back: not running anywhere. */
  readonly queued: number;
  readonly running: number;
  readonly done: number;
  /** Failed for good (every attempt used, or an error that would repeat). */
  readonly failed: number;
}

export interface RunJobsOptions<R> {
  /** Called whenever the counts change. */
  onProgress?(c: QueueProgress): void;
  /** Stops waiting (rejects with the signal's reason); the jobs stay on the queue for the workers and a rerun. */
  signal?: AbortSignal;
  /** Called once per job as its result arrives (collected from an earlier run included), in completion order. */
  onResult?(id: string, r: R): void;
  /** Redis key prefix of the queues (default `widedeep`; the workers must use the same). */
  prefix?: string;
  /**
   * Whether a result already completed in Redis before this call may be taken as it is (default: always). A
   * refused one is removed and its job runs again: a failed trial record is rerun like a local run reruns it.
   */
  reuse?(id: string, r: R): boolean;
  /** How often the states are read back besides the events (ms, default 2000): events can be missed. */
  pollMs?: number;
  /**
   * Connection trouble: Redis went away (the submitter waits for it and reconnects; nothing is lost). At most
   * one call every 10 s.
   */
  onWarning?(message: string): void;
}

type State = 'queued' | 'running' | 'done' | 'failed';

const POLL_MS = 2000;
const WARN_MS = 10_000;

/**
 * Puts one job per item on the `kind` queue (BullMQ, job id = the item's id) and waits for all of them;
 * results in job order. Jobs a previous submission left in Redis are not duplicated: completed ones give
 * their stored result at once (a submitter killed and rerun collects them without running them again),
 * queued and running ones are waited for, and ones that failed for good are retried. Rejects, naming the job
 * and its error, as soon as one fails for good; the other jobs stay on the queue.
 */
export async function runJobsOnQueue<D, R>(url: string, kind: JobKind, jobs: readonly { id: string; data: D }[], o: RunJobsOptions<R> = {}): Promise<R[]> {
  const target = parseRedisUrl(url);
  await probeRedis(target);
  if (jobs.length === 0) return [];
  const ids = jobs.map((j) => checkJobId(j.id));
  if (new Set(ids).size !== ids.length) throw new WideDeepError('INTERNAL', `two jobs of one ${kind} submission share an id`, { fix: 'give every job a distinct id' });
  const connection = connectionOptions(target);
  const prefix = checkPrefix(o.prefix ?? DEFAULT_PREFIX);
  const queue: Queue = new Queue(QUEUE_NAMES[kind], { connection, prefix });
  const events = new QueueEvents(QUEUE_NAMES[kind], { connection, prefix });
  const tracker = new Tracker<R>(jobs.map((j) => j.id), kind, o);
  let warned = 0;
  const onError = (err: Error) => {
    if (Date.now() - warned < WARN_MS) return;
    warned = Date.now();
    o.onWarning?.(`the connection to ${target.display} failed (${err.message}); waiting for Redis to come back`);
  };
  queue.on('error', onError);
  events.on('error', onError);
  try {
    await events.waitUntilReady();
    const unsettled = new Promise<void>((ok, fail) => tracker.listen(ok, fail));
    // It may settle while the jobs are still being added, before the race below looks at it.
    unsettled.catch(() => undefined);
    wireEvents(events, queue, tracker);
    await submit(queue, kind, jobs, tracker, o);
    await Promise.race([unsettled, poll(queue, kind, jobs, tracker, o.pollMs ?? POLL_MS, unsettled), aborted(o.signal)]);
    return tracker.results();
  } finally {
    tracker.close();
    await events.close();
    await queue.close();
  }
}

/** The state and result of every job of a submission; settles when all are done or one failed for good. */
class Tracker<R> {
  private readonly states = new Map<string, State>();
  private readonly values = new Map<string, R>();
  private ok: (() => void) | null = null;
  private fail: ((e: unknown) => void) | null = null;
  private last = '';
  closed = false;

  constructor(
    private readonly order: readonly string[],
    private readonly kind: JobKind,
    private readonly o: RunJobsOptions<R>,
  ) {
    for (const id of order) this.states.set(id, 'queued');
  }

  listen(ok: () => void, fail: (e: unknown) => void): void {
    this.ok = ok;
    this.fail = fail;
  }

  has(id: string): boolean {
    return this.states.has(id);
  }

  state(id: string): State | undefined {
    return this.states.get(id);
  }

  pending(): string[] {
    return this.order.filter((id) => {
      const s = this.states.get(id);
      return s === 'queued' || s === 'running';
    });
  }

  set(id: string, s: 'queued' | 'running'): void {
    const now = this.states.get(id);
    if (this.closed || now === undefined || now === 'done' || now === 'failed' || now === s) return;
    this.states.set(id, s);
    this.progress();
  }

  done(id: string, value: R): void {
    const now = this.states.get(id);
    if (this.closed || now === undefined || now === 'done' || now === 'failed') return;
    this.states.set(id, 'done');
    this.values.set(id, value);
    this.o.onResult?.(id, value);
    this.progress();
    if (this.pending().length === 0) this.ok?.();
  }

  failed(id: string, reason: string): void {
    const now = this.states.get(id);
    if (this.closed || now === undefined || now === 'done' || now === 'failed') return;
    this.states.set(id, 'failed');
    this.progress();
    this.fail?.(new WideDeepError('RUNTIME', `${this.kind} job ${id} failed for good: ${reason}`, {
      fix: 'fix the cause and rerun the same command: finished jobs are collected from Redis, this one runs again (the others stay on the queue)',
    }));
  }

  progress(): void {
    const c = { queued: 0, running: 0, done: 0, failed: 0 };
    for (const s of this.states.values()) c[s]++;
    const key = `${c.queued}/${c.running}/${c.done}/${c.failed}`;
    if (key === this.last) return;
    this.last = key;
    this.o.onProgress?.(c);
  }

  results(): R[] {
    return this.order.map((id) => this.values.get(id) as R);
  }

  close(): void {
    this.closed = true;
  }
}

/**
 * A job's state, then the job: in this order, since a job read first and found `completed` afterwards would
 * carry the return value it had before it completed (none). Completion sets both at once (one Lua script).
 */
async function readJob<D, R>(queue: Queue, id: string): Promise<{ state: string; job: Job<D, R, string> | undefined }> {
  const state = await queue.getJobState(id);
  return { state, job: state === 'unknown' ? undefined : await Job.fromId<D, R, string>(queue, id) };
}

/** Reads a job's state from Redis and updates the tracker; a job that vanished (cleaned away) is added again. */
async function reconcile<D, R>(queue: Queue, kind: JobKind, id: string, data: D, tracker: Tracker<R>): Promise<void> {
  const { state, job } = await readJob<D, R>(queue, id);
  if (!job) {
    await queue.add(kind, data, { ...JOB_OPTIONS, jobId: id });
    tracker.set(id, 'queued');
    return;
  }
  if (state === 'completed') tracker.done(id, job.returnvalue);
  else if (state === 'failed') tracker.failed(id, job.failedReason || 'no reason recorded');
  else if (state === 'active') tracker.set(id, 'running');
  else tracker.set(id, 'queued');
}

/** Adds the jobs Redis does not hold; takes or retries the ones it does (see runJobsOnQueue). */
async function submit<D, R>(queue: Queue, kind: JobKind, jobs: readonly { id: string; data: D }[], tracker: Tracker<R>, o: RunJobsOptions<R>): Promise<void> {
  const fresh: { name: string; data: D; opts: typeof JOB_OPTIONS }[] = [];
  for (const { id, data } of jobs) {
    const { state, job } = await readJob<D, R>(queue, id);
    if (!job) {
      fresh.push({ name: kind, data, opts: { ...JOB_OPTIONS, jobId: id } });
    } else if (state === 'completed') {
      if (o.reuse === undefined || o.reuse(id, job.returnvalue)) tracker.done(id, job.returnvalue);
      else {
        await job.remove();
        fresh.push({ name: kind, data, opts: { ...JOB_OPTIONS, jobId: id } });
      }
    } else if (state === 'failed') {
      await job.retry('failed', { resetAttemptsMade: true });
    } else if (state === 'active') tracker.set(id, 'running');
  }
  for (let i = 0; i < fresh.length; i += 500) await queue.addBulk(fresh.slice(i, i + 500));
  tracker.progress();
}

/** Follows the queue's events: prompt updates between the polls. */
function wireEvents<D, R>(events: QueueEvents, queue: Queue, tracker: Tracker<R>): void {
  const check = (jobId: string) => {
    if (!tracker.has(jobId)) return;
    void readJob<D, R>(queue, jobId)
      .then(({ state, job }) => {
        if (!job) return;
        if (state === 'completed') tracker.done(jobId, job.returnvalue);
        else if (state === 'failed') tracker.failed(jobId, job.failedReason || 'no reason recorded');
      })
      .catch((err: unknown) => {
        if (!tracker.closed) tracker.failed(jobId, `cannot read the job back: ${(err as Error).message}`);
      });
  };
  events.on('active', ({ jobId }) => tracker.set(jobId, 'running'));
  events.on('waiting', ({ jobId }) => tracker.set(jobId, 'queued'));
  events.on('delayed', ({ jobId }) => tracker.set(jobId, 'queued'));
  events.on('stalled', ({ jobId }) => tracker.set(jobId, 'queued'));
  events.on('completed', ({ jobId }) => check(jobId));
  events.on('failed', ({ jobId }) => check(jobId));
}

/** Reads back every unsettled job every `ms` until `until` settles. */
async function poll<D, R>(queue: Queue, kind: JobKind, jobs: readonly { id: string; data: D }[], tracker: Tracker<R>, ms: number, until: Promise<void>): Promise<never> {
  let over = false;
  until.then(() => (over = true), () => (over = true));
  const byId = new Map(jobs.map((j) => [j.id, j.data]));
  for (;;) {
    // Unref: a finished submission does not wait for the next poll to exit.
    await new Promise((r) => setTimeout(r, ms).unref());
    if (over || tracker.closed) return new Promise<never>(() => undefined);
    for (const id of tracker.pending()) await reconcile(queue, kind, id, byId.get(id) as D, tracker);
  }
}

function aborted(signal: AbortSignal | undefined): Promise<never> {
  return new Promise((_, fail) => {
    if (!signal) return;
    if (signal.aborted) fail(signal.reason);
    else signal.addEventListener('abort', () => fail(signal.reason), { once: true });
  });
}
