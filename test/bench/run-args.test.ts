import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/build-cli.js';

const run = promisify(execFile);

/** `npm run bench -- <args>`: exit code, stdout, stderr (runs nothing when the arguments are refused). */
async function bench(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/run.ts'), ...args], { cwd: ROOT });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('bench/run.ts arguments', () => {
  it('--help lists every suite with its cases and runs nothing', async () => {
    const r = await bench('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^usage: npm run bench/);
    expect(r.stdout).toMatch(/engine: small, criteo, criteo_small/);
    expect(r.stdout).toMatch(/kernels: .*dense_adam_criteo/);
  }, 30_000);

  it('an unknown suite, an unknown option or a bad --rounds: a message naming it, the usage, exit 2', async () => {
    const suite = await bench('--suite', 'nope');
    expect(suite.code).toBe(2);
    expect(suite.stderr).toMatch(/no case matches --suite nope/);
    expect(suite.stderr).toMatch(/suites and cases:/);
    const option = await bench('--bogus');
    expect(option.code).toBe(2);
    expect(option.stderr).toMatch(/Unknown option '--bogus'/);
    const rounds = await bench('--suite', 'engine', '--rounds', '0');
    expect(rounds.code).toBe(2);
    expect(rounds.stderr).toMatch(/--rounds must be a whole number >= 1, got 0/);
  }, 60_000);
});
