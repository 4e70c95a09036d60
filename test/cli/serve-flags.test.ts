import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SERVE_OPTIONS } from '../../src/cli/options/serve.js';
import { runCli, runMain } from '../helpers/cli.js';
import { startServe } from '../helpers/serve-child.js';
import { rowsFor, writeVersionOf } from '../serve/bundle-versions.js';

// Issue #15: the flags of `widedeep serve` (one option table, so --help cannot drift) and its secrets, which
// come from the environment only (flags show in `ps`).

describe('widedeep serve flags', () => {
  afterEach(() => vi.restoreAllMocks());

  it('--help lists the serving flags, and no flag takes a secret', async () => {
    const r = await runMain(['serve', '--help']);
    expect(r.code).toBe(0);
    for (const flag of ['--watch', '--workers <n>', '--batch-max-rows <n>', '--batch-wait-ms <ms>', '--drain-seconds <s>', '--cors-origin <url>', '--log-level <level>']) expect(r.stdout).toContain(flag);
    expect(Object.keys(SERVE_OPTIONS).filter((k) => /token|key|secret|password/i.test(k))).toEqual([]);
  });

  it('refuses out-of-range values with exit code 2, naming the flag', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'wd-serve-flags-')), 'model');
    const cases: [string[], RegExp][] = [
      [['--batch-max-rows', '0'], /--batch-max-rows must be at least 1/],
      [['--batch-wait-ms=-1'], /--batch-wait-ms must be at least 0/],
      [['--drain-seconds=-1'], /--drain-seconds must be at least 0/],
      [['--workers', '0'], /--workers must be at least 1/],
      [['--log-level', 'loud'], /--log-level must be one of/],
      [['--token', 'x'], /Unknown option '--token'/],
    ];
    for (const [args, message] of cases) {
      const r = await runMain(['serve', '--model', dir, ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  });

  it('takes the admin token and API key from the environment, CORS origins from repeated flags, and logs JSON lines', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'wd-serve-flags-')), 'model');
    const digest = await writeVersionOf(dir, 0);
    const admin = 'admin-0123456789abcdef';
    const key = 'key-0123456789abcdef';
    const args = ['--model', dir, '--port', '0', '--cors-origin', 'https://a.example', '--cors-origin', 'https://b.example'];
    const { child, url, stderr: errText, exited } = await startServe(args, { ...process.env, WIDEDEEP_ADMIN_TOKEN: admin, WIDEDEEP_API_KEY: key });
    try {
      const predict = (headers: Record<string, string>) => fetch(`${url}/predict`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ rows: rowsFor(2) }) });
      expect((await predict({})).status).toBe(401);
      const ok = await predict({ 'x-api-key': key, origin: 'https://b.example', 'x-request-id': 'cli-1' });
      expect(ok.status).toBe(200);
      expect(ok.headers.get('access-control-allow-origin')).toBe('https://b.example');
      const reload = await fetch(`${url}/admin/reload`, { method: 'POST', headers: { authorization: `Bearer ${admin}` } });
      expect(await reload.json()).toEqual({ digests: [digest] });
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    const stderr = errText();
    const lines = stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.find((l) => l.reqId === 'cli-1')).toMatchObject({ msg: 'request', method: 'POST', url: '/predict', statusCode: 200 });
    expect(stderr).not.toContain(admin);
    expect(stderr).not.toContain(key);
  }, 60_000);

  it('warns about a short secret', async () => {
    const r = await runCli(['serve', '--model', '/nonexistent/model'], { env: { WIDEDEEP_API_KEY: 'short' } });
    expect(r.stderr).toMatch(/warning: WIDEDEEP_API_KEY is 5 characters long/);
  }, 60_000);
});
