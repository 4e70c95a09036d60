import { join } from 'node:path';
import { Job, Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrialRecord } from '../../src/experiments/trial.js';
import { QUEUE_NAMES } from '../../src/scale/queues.js';
import { connectionOptions, parseRedisUrl } from '../../src/scale/redis-url.js';
import { runCli } from '../helpers/cli.js';
import { HAVE_REDIS, REDIS_SKIP, type RedisServer, startRedis } from '../helpers/redis-server.js';
import { expectSameAsLocal, localRecords, records, tinySuiteFile } from './suite-fixture.js';
import { startWorker, stopWorker } from './worker-child.js';

/**
 * A worker lost in the middle of a trial: kill -9 (the trial runs again on another worker once its lock has
 * expired: BullMQ's stalled-job recovery) and SIGTERM (the worker gives the trial back at once and exits 0).
 * Either way the result equals the local run's. One trial per suite; locks of 2 s.
 */
describe.skipIf(!HAVE_REDIS)(`a worker lost mid-trial${REDIS_SKIP}`, () => {
  let redis: RedisServer;
  let local: Map<string, TrialRecord>;
  const { dir, file } = tinySuiteFile({ grid: { 'model.kind': ['wide_deep'] }, seeds: [7] });
  const lock = ['--lock-seconds', '2'];

  beforeAll(async () => {
    redis = await startRedis();
    local = await localRecords(file, dir);
  });
  afterAll(async () => {
    await redis?.stop();
  });

  /** Runs the suite on the queue while `lose` does something to the first worker once it has started the trial. */
  async function loseFirstWorker(prefix: string, lose: (w: Awaited<ReturnType<typeof startWorker>>) => Promise<void>) {
    const first = await startWorker(redis.url, [...lock, '--queue-prefix', prefix]);
    const out = join(dir, `${prefix}.jsonl`);
    const submitted = runCli(['experiment', '--suite', file, '--queue', redis.url, '--queue-prefix', prefix, '--threads', '1', '--out', out]);
    const line = await first.waitFor(/started trial /);
    const jobId = (/started trial (\S+)/.exec(line) as RegExpExecArray)[1] as string;
    await lose(first);
    const second = await startWorker(redis.url, [...lock, '--queue-prefix', prefix]);
    try {
      const r = await submitted;
      expect(r.code, r.stderr).toBe(0);
      expect(second.stderr()).toContain(`done trial ${jobId}`);
      expect(first.stderr()).not.toContain(`done trial ${jobId}`);
      expectSameAsLocal(records(out), local);
      const queue = new Queue(QUEUE_NAMES.trial, { connection: connectionOptions(parseRedisUrl(redis.url)), prefix });
      try {
        return { first, job: (await Job.fromId(queue, jobId)) as Job };
      } finally {
        await queue.close();
      }
    } finally {
      expect(await stopWorker(second)).toBe(0);
    }
  }

  it('kill -9: another worker runs the trial again after the lock expires, with the same result', async () => {
    const { first, job } = await loseFirstWorker('kill9', async (w) => {
      w.child.kill('SIGKILL');
      expect(await w.exited).toBe('SIGKILL');
    });
    expect(first.stderr()).not.toContain('gave back');
    // Started twice: once on the killed worker, once after the stalled-job check put it back.
    expect(job.attemptsStarted).toBe(2);
    expect(job.stalledCounter).toBe(1);
  });

  it('SIGTERM: the worker gives the trial back at once and exits 0; another worker runs it', async () => {
    const { first, job } = await loseFirstWorker('term', async (w) => {
      expect(await stopWorker(w)).toBe(0);
    });
    expect(first.stderr()).toMatch(/gave back trial tiny-\S+/);
    expect(first.stderr()).toMatch(/stopped \(signal\): 0 done, 0 failed, 1 given back/);
    expect(job.stalledCounter).toBe(0);
  });
});
