import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FIXTURE } from '../helpers/bundle-fixture.js';
import { runMain } from '../helpers/cli.js';
import { ROOT, cliArgs } from '../helpers/cli-process.js';

// `widedeep studio`: its flags, the listening line, and a clean stop on SIGTERM, as a real child process.

describe('widedeep studio (command)', () => {
  afterEach(() => vi.restoreAllMocks());

  it('prints its URL, serves the API, and stops cleanly on SIGTERM', async () => {
    const runs = mkdtempSync(join(tmpdir(), 'wd-studio-cli-'));
    const child = spawn(process.execPath, cliArgs(['studio', '--runs', runs, '--model', join(FIXTURE, 'model'), '--port', '0']), { cwd: ROOT });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number>((ok) => child.on('close', (code) => ok(code ?? -1)));
    try {
      const line = await new Promise<string>((ok, fail) => {
        createInterface({ input: child.stdout }).once('line', ok);
        child.once('close', () => fail(new Error(`studio exited before listening: ${stderr}`)));
      });
      const listening = JSON.parse(line) as { event: string; url: string; runs: string; model: string };
      expect(listening).toMatchObject({ event: 'listening', runs, model: join(FIXTURE, 'model') });
      expect(listening.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const model = (await (await fetch(`${listening.url}/api/model`)).json()) as { facts: { model: string } };
      expect(model.facts.model).toBe('wide_deep');
      expect((await fetch(`${listening.url}/api/runs`)).status).toBe(200);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(stderr).toMatch(/widedeep studio: SIGTERM: stopped/);
  }, 60_000);

  it('refuses a missing --model and a bad --port with exit code 2, naming the flag', async () => {
    const missing = await runMain(['studio', '--model', '/nonexistent/model', '--port', '0']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no model bundle at \/nonexistent\/model.*--model/);
    const port = await runMain(['studio', '--port', '70000']);
    expect(port.code).toBe(2);
    expect(port.stderr).toMatch(/--port must be 0 to 65535/);
    const help = await runMain(['studio', '--help']);
    for (const flag of ['--runs <dir>', '--model <dir>', '--host <address>', '--port <n>']) expect(help.stdout).toContain(flag);
  });
});
