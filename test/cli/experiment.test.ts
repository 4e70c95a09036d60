import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
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
    // A finished trial's line ends with its test AUC (no error after it).
    expect(first.stderr).toMatch(/\] done .* seed \d+ test auc \d\.\d{4}\n/);
    expect(first.stdout).toMatch(/wide_deep/);
    const again = await runCli(['experiment', '--suite', suite, '--out', results, '--workers', '0']);
    expect(again.stderr).toMatch(/0 trials ran, 2 resumed/);
    const rep = await runCli(['report', results, '--out', join(dir, 'report')]);
    expect(rep.code).toBe(0);
    expect(existsSync(join(dir, 'report', 'index.html'))).toBe(true);
    expect(readdirSync(join(dir, 'report')).filter((f) => f.endsWith('.svg')).length).toBeGreaterThan(2);
    // --data-dir reaches the trials (they run in worker processes): a folder without the data fails every
    // trial with the reader's error naming that folder, and the command exits 1.
    const adultSuite = join(dir, 'adult.yaml');
    const adultBase = resolve(import.meta.dirname, '../../examples/suites/bases/adult.yaml');
    writeFileSync(adultSuite, stringify({ name: 'adult-tiny', base: adultBase, set: { 'train.epochs': 1 }, grid: { 'model.kind': ['wide'] }, seeds: [1] }));
    const noData = join(dir, 'no-data-here');
    const failed = await runCli(['experiment', '--suite', adultSuite, '--out', join(dir, 'adult.jsonl'), '--workers', '0', '--data-dir', noData]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain(join(noData, 'adult', 'adult.data'));
    expect(failed.stderr).toMatch(/1 trials ran, 0 resumed, 1 failed/);
    const missing = await runCli(['experiment', '--suite', 'no-such-suite']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no-such-suite/);
  });
});
