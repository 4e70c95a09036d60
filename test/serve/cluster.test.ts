import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { YOUNG_GENERATION_FLAG, serveCluster } from '../../src/serve/cluster.js';
import { alive } from '../helpers/pid.js';
import { type ServeChild, startServe } from '../helpers/serve-child.js';
import { rowsFor, writeVersionOf } from './bundle-versions.js';

const TOKEN = 'cluster-test-admin-token-0123456789abcdef';

/** Resolves once `cond()` holds (checked every 20 ms); fails after `ms`. */
async function until(cond: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The child processes of `pid` (Linux). */
function childrenOf(pid: number): number[] {
  const file = `/proc/${pid}/task/${pid}/children`;
  return existsSync(file) ? readFileSync(file, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number) : [];
}


async function predict(url: string, rows: unknown[]): Promise<{ status: number; digest: string | null }> {
  const res = await fetch(`${url}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ rows }) });
  await res.arrayBuffer();
  return { status: res.status, digest: res.headers.get('x-model-digest') };
}

async function reload(url: string): Promise<string[]> {
  const res = await fetch(`${url}/admin/reload`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { digests: string[] }).digests;
}

/** `widedeep serve --workers 2` from the sources, as a user runs it; resolves with its URL once it listens. */
/** `widedeep serve --model dir --port 0 --log-level warn <args>` with the admin token set. */
function startCli(dir: string, args: string[]): Promise<ServeChild> {
  return startServe(['--model', dir, '--port', '0', '--log-level', 'warn', ...args], { ...process.env, WIDEDEEP_ADMIN_TOKEN: TOKEN });
}

describe('serve --workers (node:cluster)', () => {
  it('serves from two workers on one port; restarts a crashed one; --watch and metrics cover all; SIGTERM drains all', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'wd-cluster-')), 'model');
    const d1 = await writeVersionOf(dir, 0);
    const cli = await startCli(dir, ['--workers', '2', '--watch']);
    try {
      const workers = childrenOf(cli.child.pid!);
      expect(workers).toHaveLength(2);
      expect(await reload(cli.url)).toEqual([d1, d1]);

      // A crashed worker: one log line, another takes its place, and the server answers on.
      process.kill(workers[0]!, 'SIGKILL');
      await until(() => cli.stderr().includes(`worker ${workers[0]} exited (SIGKILL); starting another`));
      await until(async () => (await reload(cli.url)).length === 2);
      const now = childrenOf(cli.child.pid!);
      expect(now).toHaveLength(2);
      expect(now).toContain(workers[1]);
      expect(cli.stderr().match(/exited \(SIGKILL\)/g)).toHaveLength(1);

      // Both workers (the surviving and the restarted one) answer on the one port.
      const rows = rowsFor(3);
      const answers = await Promise.all(Array.from({ length: 40 }, () => predict(cli.url, rows)));
      expect(answers.every((a) => a.status === 200 && a.digest === d1)).toBe(true);
      // /metrics in any worker merges both: 40 requests x 3 rows scored, whichever worker scored them.
      const metrics = await (await fetch(`${cli.url}/metrics`)).text();
      expect(metrics).toMatch(/^widedeep_rows_scored_total 120$/m);
      expect(metrics).toContain(`widedeep_model_info{digest="${d1}"} 2`);

      // --watch: a new version reaches every worker, the restarted one included.
      const d2 = await writeVersionOf(dir, 1);
      // (Read through /metrics, which asks every worker and reloads nothing.)
      await until(async () => (await (await fetch(`${cli.url}/metrics`)).text()).includes(`widedeep_model_info{digest="${d2}"} 2`));
      expect((await predict(cli.url, rows)).digest).toBe(d2);
      expect(await reload(cli.url)).toEqual([d2, d2]);

      cli.child.kill('SIGTERM');
      expect(await cli.exited).toBe(0);
      for (const pid of now) expect(alive(pid)).toBe(false);
      // The counts of both workers, summed by the primary: at least the 40 predictions since the restart.
      const stopped = /stopped after (\d+) answered, (\d+) refused, (\d+) failed/.exec(cli.stderr());
      expect(Number(stopped?.[1])).toBeGreaterThanOrEqual(40);
      expect([stopped?.[2], stopped?.[3]]).toEqual(['0', '0']);
    } finally {
      if (cli.child.exitCode === null) cli.child.kill('SIGKILL');
    }
  });

  it('`widedeep serve` answers from one worker started with the serving young generation, unless NODE_OPTIONS sets one', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'wd-cluster-')), 'model');
    await writeVersionOf(dir, 0);
    const flagsOf = async (env: NodeJS.ProcessEnv): Promise<string[]> => {
      const s = await startServe(['--model', dir, '--port', '0', '--log-level', 'warn'], env);
      try {
        expect((await predict(s.url, rowsFor(2))).status).toBe(200);
        const workers = childrenOf(s.child.pid!).filter((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('cluster-worker'));
        expect(workers).toHaveLength(1);
        return readFileSync(`/proc/${workers[0]}/cmdline`, 'utf8').split('\u0000').filter((a) => a.includes('semi-space'));
      } finally {
        s.child.kill('SIGTERM');
        expect(await s.exited).toBe(0);
      }
    };
    expect(await flagsOf(process.env)).toEqual([YOUNG_GENERATION_FLAG]);
    expect(await flagsOf({ ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --max-semi-space-size=8` })).toEqual([]);
  }, 60_000);

  it('a worker that cannot load the bundle fails serveCluster with its error, and no worker is left', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'wd-cluster-')), 'missing');
    const err = await serveCluster(dir, { port: 0, workers: 2, logger: false }).then(
      () => null,
      (e: unknown) => e as { code: string; message: string },
    );
    expect(err).toMatchObject({ code: 'BUNDLE', message: expect.stringMatching(/not a widedeep model bundle/) });
    expect(childrenOf(process.pid).filter((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('cluster-worker'))).toEqual([]);
  });
});
