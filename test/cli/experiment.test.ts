import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runCli } from '../helpers/cli.js';
import { tinySuiteRaw } from '../experiments/tiny-suite.js';

describe('widedeep experiment and report', () => {
  it('runs a suite, resumes it without rerunning, and writes the report', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wd-exp-'));
    const suite = join(dir, 'tiny.yaml');
    writeFileSync(suite, stringify({ ...tinySuiteRaw(), seeds: [1] }));
    const results = join(dir, 'results.jsonl');
    const first = await runCli(['experiment', '--suite', suite, '--out', results, '--workers', '0']);
    expect(first.code).toBe(0);
    expect(first.stderr).toMatch(/2 trials ran, 0 resumed, 0 failed/);
    expect(first.stdout).toMatch(/wide_deep/);
    const again = await runCli(['experiment', '--suite', suite, '--out', results, '--workers', '0']);
    expect(again.stderr).toMatch(/0 trials ran, 2 resumed/);
    const rep = await runCli(['report', results, '--out', join(dir, 'report')]);
    expect(rep.code).toBe(0);
    expect(existsSync(join(dir, 'report', 'index.html'))).toBe(true);
    expect(readdirSync(join(dir, 'report')).filter((f) => f.endsWith('.svg')).length).toBeGreaterThan(2);
    const missing = await runCli(['experiment', '--suite', 'no-such-suite']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no-such-suite/);
  });
});
