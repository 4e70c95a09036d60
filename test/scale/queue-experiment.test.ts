import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Job, Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrialRecord } from '../../src/experiments/trial.js';
import { DEFAULT_PREFIX, QUEUE_NAMES } from '../../src/scale/queues.js';
import { connectionOptions, parseRedisUrl } from '../../src/scale/redis-url.js';
import { runJobsOnQueue } from '../../src/scale/submit.js';
import { runCli, runMain } from '../helpers/cli.js';
import { HAVE_REDIS, REDIS_SKIP, type RedisServer, startRedis } from '../helpers/redis-server.js';
import { expectSameAsLocal, localRecords, records, tinySuiteFile } from './suite-fixture.js';
import { type WorkerChild, startWorker, stopWorker } from './worker-child.js';

/**
 * `widedeep experiment --queue` with two real `widedeep worker` processes on a real Redis: the results file
 * a local run would write (metrics identical at --threads 1), read by `report`, and resumable.
 */
describe.skipIf(!HAVE_REDIS)(`widedeep experiment --queue with two workers${REDIS_SKIP}`, () => {
  let redis: RedisServer;
  let workers: WorkerChild[] = [];
  let local: Map<string, TrialRecord>;
  let queue: Queue;
  const { dir, file } = tinySuiteFile();
  const out = join(dir, 'queued.jsonl');
  const submit = () => runCli(['experiment', '--suite', file, '--queue', redis.url, '--threads', '1', '--out', out]);
  const started = () => workers.reduce((n, w) => n + (w.stderr().match(/started trial /g) ?? []).length, 0);

  beforeAll(async () => {
    redis = await startRedis();
    queue = new Queue(QUEUE_NAMES.trial, { connection: connectionOptions(parseRedisUrl(redis.url)), prefix: DEFAULT_PREFIX });
    workers = await Promise.all([startWorker(redis.url), startWorker(redis.url)]);
    local = await localRecords(file, dir);
  });
  afterAll(async () => {
    await queue?.close();
    for (const w of workers) await stopWorker(w);
    await redis?.stop();
  });

  it('runs every trial on the workers into the results file, with the local run\'s metrics, and report reads it', async () => {
    const r = await submit();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('4 trials ran, 0 resumed, 0 failed');
    expect(r.stderr).toMatch(/queue: 0 queued, 0 running, 4 done/);
    const got = records(out);
    expect(got).toHaveLength(4);
    expectSameAsLocal(got, local);
    // Both workers took part.
    for (const w of workers) expect(w.stderr()).toMatch(/done trial tiny-/);
    const table = await runMain(['report', out, '--table']);
    expect(table.code).toBe(0);
    for (const v of ['kind=wide ', 'kind=wide_deep']) expect(table.stdout).toContain(v);
  });

  it('resumes: a rerun submits nothing, and trials missing from the file are collected from Redis, not rerun', async () => {
    const before = readFileSync(out, 'utf8');
    const ran = started();
    const again = await submit();
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('0 trials ran, 4 resumed');
    expect(readFileSync(out, 'utf8')).toBe(before);
    expect(await queue.getJobCounts('waiting', 'active', 'delayed', 'completed')).toMatchObject({ waiting: 0, active: 0, delayed: 0, completed: 4 });

    // A submitter killed before writing two records: its rerun takes their results from the completed jobs.
    const lines = before.trim().split('\n');
    writeFileSync(out, `${lines.slice(0, 2).join('\n')}\n`);
    const collect = await submit();
    expect(collect.code, collect.stderr).toBe(0);
    expect(collect.stderr).toContain('2 trials ran, 2 resumed');
    expect(started()).toBe(ran);
    expect(await queue.getJobCounts('completed')).toEqual({ completed: 4 });
    const got = records(out);
    expect(got).toHaveLength(4);
    expectSameAsLocal(got, local);
  });

  it('fails a job whose error would repeat at once (no retries), naming it and the error', async () => {
    const run = runJobsOnQueue(redis.url, 'score-range', [{ id: 'not-a-range', data: { version: 99 } }]);
    await expect(run).rejects.toThrow(/score-range job not-a-range failed for good: .*not a score-range job of version 1/);
    const scores = new Queue(QUEUE_NAMES['score-range'], { connection: connectionOptions(parseRedisUrl(redis.url)), prefix: DEFAULT_PREFIX });
    try {
      expect((await Job.fromId(scores, 'not-a-range'))?.attemptsMade).toBe(1);
    } finally {
      await scores.close();
    }
  });
});
