import { Queue, UnrecoverableError, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUEUE_NAMES } from '../../src/scale/queues.js';
import { connectionOptions, parseRedisUrl } from '../../src/scale/redis-url.js';
import { type QueueProgress, runJobsOnQueue } from '../../src/scale/submit.js';
import { HAVE_REDIS, REDIS_SKIP, type RedisServer, startRedis } from '../helpers/redis-server.js';

/**
 * The submitter's contract against a real Redis and a real BullMQ worker (in this process, squaring numbers),
 * on the score queue: results in job order, no duplicate jobs, completed jobs collected on a rerun, a job that
 * failed for good named in the error and retried by the next submission.
 */
describe.skipIf(!HAVE_REDIS)(`runJobsOnQueue${REDIS_SKIP}`, () => {
  let redis: RedisServer;
  let prefix = 0;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  /** A worker on a fresh prefix that squares `x`, counting its calls; `fail` makes chosen x fail for good. */
  function squarer(fail: (x: number) => boolean = () => false, url = redis.url) {
    const p = `t${prefix++}`;
    const calls: number[] = [];
    let worker: Worker | null = null;
    return {
      prefix: p,
      calls,
      start() {
        worker = new Worker(
          QUEUE_NAMES['score-range'],
          async (job) => {
            const { x } = job.data as { x: number };
            calls.push(x);
            // Later jobs finish first: completion order is not job order.
            await new Promise((r) => setTimeout(r, (10 - x) * 15));
            if (fail(x)) throw new UnrecoverableError(`cannot square ${x}`);
            return { y: x * x };
          },
          { connection: connectionOptions(parseRedisUrl(url)), prefix: p, concurrency: 4 },
        );
      },
      async stop() {
        await worker?.close();
      },
    };
  }

  const jobs = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `sq-${i}`, data: { x: i } }));

  it('returns the results in job order, calls onResult once per job and counts up to done', async () => {
    const w = squarer();
    w.start();
    const seen: string[] = [];
    const progress: QueueProgress[] = [];
    try {
      const out = await runJobsOnQueue<{ x: number }, { y: number }>(redis.url, 'score-range', jobs(6), { prefix: w.prefix, onResult: (id) => seen.push(id), onProgress: (c) => progress.push(c), pollMs: 200 });
      expect(out).toEqual([0, 1, 4, 9, 16, 25].map((y) => ({ y })));
      expect([...seen].sort()).toEqual(jobs(6).map((j) => j.id));
      expect(progress.at(-1)).toEqual({ queued: 0, running: 0, done: 6, failed: 0 });
      expect([...w.calls].sort()).toEqual([0, 1, 2, 3, 4, 5]);
    } finally {
      await w.stop();
    }
  });

  it('collects completed jobs on a rerun without running them again, unless `reuse` refuses a result', async () => {
    const w = squarer();
    w.start();
    try {
      const first = await runJobsOnQueue<{ x: number }, { y: number }>(redis.url, 'score-range', jobs(4), { prefix: w.prefix, pollMs: 200 });
      expect(w.calls).toHaveLength(4);
      const again = await runJobsOnQueue<{ x: number }, { y: number }>(redis.url, 'score-range', jobs(4), { prefix: w.prefix, pollMs: 200 });
      expect(again).toEqual(first);
      expect(w.calls).toHaveLength(4);
      const refused = await runJobsOnQueue<{ x: number }, { y: number }>(redis.url, 'score-range', jobs(4), { prefix: w.prefix, pollMs: 200, reuse: (id) => id !== 'sq-2' });
      expect(refused).toEqual(first);
      expect(w.calls).toEqual([...w.calls.slice(0, 4), 2]);
    } finally {
      await w.stop();
    }
  });

  it('does not duplicate jobs still queued when the submitter is stopped and run again', async () => {
    const w = squarer();
    const queue = new Queue(QUEUE_NAMES['score-range'], { connection: connectionOptions(parseRedisUrl(redis.url)), prefix: w.prefix });
    try {
      for (let round = 0; round < 2; round++) {
        const stop = new AbortController();
        const run = runJobsOnQueue(redis.url, 'score-range', jobs(5), { prefix: w.prefix, signal: stop.signal, onProgress: (c) => c.queued === 5 && stop.abort(new Error('stopped')) });
        await expect(run).rejects.toThrow('stopped');
      }
      expect(await queue.getJobCounts('waiting', 'active', 'completed', 'failed', 'delayed')).toMatchObject({ waiting: 5, active: 0, completed: 0, failed: 0, delayed: 0 });
      w.start();
      const out = await runJobsOnQueue<{ x: number }, { y: number }>(redis.url, 'score-range', jobs(5), { prefix: w.prefix, pollMs: 200 });
      expect(out.map((r) => r.y)).toEqual([0, 1, 4, 9, 16]);
      expect(w.calls).toHaveLength(5);
    } finally {
      await queue.close();
      await w.stop();
    }
  });

  it('fails naming the job and its error when one fails for good; the next submission retries it', async () => {
    let broken = true;
    const w = squarer((x) => broken && x === 3);
    w.start();
    try {
      const run = runJobsOnQueue(redis.url, 'score-range', jobs(5), { prefix: w.prefix, pollMs: 200 });
      await expect(run).rejects.toThrow(/score-range job sq-3 failed for good: cannot square 3/);
      broken = false;
      const out = await runJobsOnQueue<{ x: number }, { y: number }>(redis.url, 'score-range', jobs(5), { prefix: w.prefix, pollMs: 200 });
      expect(out.map((r) => r.y)).toEqual([0, 1, 4, 9, 16]);
      expect(w.calls.filter((x) => x === 3)).toHaveLength(2);
    } finally {
      await w.stop();
    }
  });

  it('waits through a Redis restart that lost every job, adds them again and finishes', async () => {
    const lost = await startRedis();
    const w = squarer(() => false, lost.url);
    try {
      let submitted: () => void = () => undefined;
      const queued = new Promise<void>((ok) => (submitted = ok));
      const run = runJobsOnQueue<{ x: number }, { y: number }>(lost.url, 'score-range', jobs(3), { prefix: w.prefix, pollMs: 200, onProgress: (c) => c.queued === 3 && submitted() });
      await queued;
      await lost.restart();
      w.start();
      expect((await run).map((r) => r.y)).toEqual([0, 1, 4]);
      expect([...w.calls].sort()).toEqual([0, 1, 2]);
    } finally {
      await w.stop();
      await lost.stop();
    }
  });
});
