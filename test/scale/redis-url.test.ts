import { createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WideDeepError } from '../../src/core/errors.js';
import { parseRedisUrl, probeRedis } from '../../src/scale/redis-url.js';
import { runJobsOnQueue } from '../../src/scale/submit.js';
import { runMain } from '../helpers/cli.js';
import { HAVE_REDIS, REDIS_SKIP, type RedisServer, startRedis } from '../helpers/redis-server.js';

/** A loopback port nothing listens on (a server bound it, then closed). */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok));
  const { port } = s.address() as { port: number };
  await new Promise((ok) => s.close(ok));
  return port;
}

async function rejection(p: Promise<unknown>): Promise<WideDeepError> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(WideDeepError);
  return err as WideDeepError;
}

describe('parseRedisUrl', () => {
  it('reads host, port, database, credentials and TLS, and masks the password in what messages show', () => {
    expect(parseRedisUrl('redis://127.0.0.1:6379')).toEqual({ display: 'redis://127.0.0.1:6379', host: '127.0.0.1', port: 6379, db: 0, tls: false });
    const t = parseRedisUrl('rediss://me:s%40cret@cache.internal:6380/3');
    expect(t).toEqual({ display: 'rediss://me:***@cache.internal:6380/3', host: 'cache.internal', port: 6380, db: 3, tls: true, username: 'me', password: 's@cret' });
    expect(parseRedisUrl('redis://[::1]:7000').host).toBe('::1');
  });

  it.each([
    ['127.0.0.1:6379', /not a Redis URL/],
    ['http://127.0.0.1:6379', /scheme is http/],
    ['redis://127.0.0.1', /no port/],
    ['redis://127.0.0.1:6379/cache', /not a database number/],
    ['redis://127.0.0.1:6379?db=1', /query strings/],
  ])('refuses %s, naming --queue and the form to use', (text, why) => {
    let err: unknown = null;
    try {
      parseRedisUrl(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(WideDeepError);
    const e = err as WideDeepError;
    expect(e.code).toBe('CONFIG');
    expect(e.message).toMatch(why);
    expect(e.details.field).toBe('--queue');
    expect(e.details.fix).toContain('redis://127.0.0.1:6379');
  });
});

describe('probeRedis', () => {
  it('says there is no Redis at the URL, and how to start one, when nothing listens', async () => {
    const port = await closedPort();
    const e = await rejection(probeRedis(parseRedisUrl(`redis://127.0.0.1:${port}`)));
    expect(e.message).toContain(`no Redis at redis://127.0.0.1:${port}`);
    expect(e.details.fix).toContain(`redis-server --port ${port}`);
  });

  it('says the server is not Redis when something else answers (here an HTTP server)', async () => {
    const http = createServer((_req, res) => res.end('hello'));
    await new Promise<void>((ok) => http.listen(0, '127.0.0.1', ok));
    const { port } = http.address() as { port: number };
    try {
      const e = await rejection(probeRedis(parseRedisUrl(`redis://127.0.0.1:${port}`)));
      expect(e.message).toMatch(/no Redis at .*not \+PONG/);
    } finally {
      http.close();
    }
  });

  it('makes runJobsOnQueue fail at once with the same message instead of retrying forever', async () => {
    const port = await closedPort();
    const e = await rejection(runJobsOnQueue(`redis://127.0.0.1:${port}`, 'trial', [{ id: 'a-1', data: {} }]));
    expect(e.message).toContain(`no Redis at redis://127.0.0.1:${port}`);
  });
});

describe.skipIf(!HAVE_REDIS)(`probeRedis against redis-server${REDIS_SKIP}`, () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis.stop();
  });

  it('passes on a running Redis', async () => {
    await expect(probeRedis(parseRedisUrl(redis.url))).resolves.toBeUndefined();
  });

  it('reports a refused password with the server\'s words and the URL form that carries credentials', async () => {
    const e = await rejection(probeRedis(parseRedisUrl(`redis://someone:wrong@127.0.0.1:${redis.port}`)));
    expect(e.message).toContain(`the Redis at redis://someone:***@127.0.0.1:${redis.port} refused`);
    expect(e.message).not.toContain('wrong');
    expect(e.details.fix).toContain('redis://user:password@');
  });
});

describe('the CLI', () => {
  it('widedeep worker exits 2 with the URL and the fix when no Redis listens', async () => {
    const port = await closedPort();
    const r = await runMain(['worker', '--queue', `redis://127.0.0.1:${port}`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`widedeep worker: field --queue: no Redis at redis://127.0.0.1:${port}`);
    expect(r.stderr).toContain(`start one with \`redis-server --port ${port}\``);
  });

  it('widedeep worker refuses a URL that is not redis://', async () => {
    const r = await runMain(['worker', '--queue', 'localhost:6379']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--queue localhost:6379 is not a Redis URL');
  });

  it('widedeep experiment refuses --workers with --queue', async () => {
    const r = await runMain(['experiment', '--suite', 'memorization', '--queue', 'redis://127.0.0.1:6379', '--workers', '2']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--workers and --queue exclude each other');
  });
});
