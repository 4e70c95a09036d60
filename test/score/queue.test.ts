import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAVE_REDIS, REDIS_SKIP, startRedis, type RedisServer } from '../helpers/redis-server.js';
import { jsonLines, runMain } from '../helpers/cli.js';
import { startWorker, stopWorker, type WorkerChild } from '../scale/worker-child.js';
import { parquetRows, scoreFixture, type ScoreFixture } from './fixture.js';

// `widedeep score --queue`: the ranges run as 'score-range' jobs on two `widedeep worker` processes (real
// child processes, a real Redis), which see the same paths; the output is the local run's, byte for byte in
// its rows.

describe.skipIf(!HAVE_REDIS)(`widedeep score --queue${REDIS_SKIP}`, () => {
  let fx: ScoreFixture;
  let redis: RedisServer;
  let workers: WorkerChild[] = [];
  beforeAll(async () => {
    [fx, redis] = await Promise.all([scoreFixture(2000), startRedis()]);
    workers = await Promise.all([startWorker(redis.url), startWorker(redis.url)]);
  }, 180_000);
  afterAll(async () => {
    await Promise.all(workers.map(stopWorker));
    await redis?.stop();
  });

  it('scores the ranges on 2 queue workers into the same output as local mode', async () => {
    const args = ['--model', fx.model, '--input', fx.csv, '--batch-size', '64', '--threads', '1', '--ranges', '6', '--json'];
    const local = join(fx.dir, 'local.parquet');
    const queued = join(fx.dir, 'queued.parquet');
    const l = await runMain(['score', ...args, '--out', local]);
    expect(l.code, l.stderr).toBe(0);
    const q = await runMain(['score', ...args, '--out', queued, '--queue', redis.url]);
    expect(q.code, `${q.stderr}\n${workers.map((w) => w.stderr()).join('\n')}`).toBe(0);
    const done = jsonLines(q.stdout).find((x) => x.event === 'done') as { ranges: number; rowsScored: number };
    expect(done.ranges).toBeGreaterThanOrEqual(3);
    expect(done.rowsScored).toBe(fx.rows);
    expect(await parquetRows(queued)).toEqual(await parquetRows(local));
    // Both workers took ranges.
    for (const w of workers) expect(w.stderr()).toMatch(/score-range/);
  }, 480_000);
});
