import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { FIXTURE } from '../helpers/bundle-fixture.js';
import { runCli } from '../helpers/cli.js';
import { tinySuiteRaw } from '../experiments/tiny-suite.js';

// Issue 16: on a fresh clone there is no runs/ directory; a command creates the directories it writes into.
describe('output directories', () => {
  it('experiment (default --out under runs/), report and export create theirs', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'wd-fresh-'));
    const suite = join(cwd, 'tiny.yaml');
    writeFileSync(suite, stringify({ ...tinySuiteRaw(), grid: { 'model.kind': ['wide'] }, seeds: [1] }));
    const exp = await runCli(['experiment', '--suite', suite, '--workers', '0'], { cwd });
    expect(exp.stderr).not.toMatch(/ENOENT/);
    expect(exp.code).toBe(0);
    const results = join(cwd, 'runs', 'experiments', 'tiny.jsonl');
    expect(existsSync(results)).toBe(true);

    const rep = await runCli(['report', results, '--out', join(cwd, 'a', 'b', 'report')], { cwd });
    expect(rep.code).toBe(0);
    expect(existsSync(join(cwd, 'a', 'b', 'report', 'index.html'))).toBe(true);

    const onnx = join(cwd, 'c', 'd', 'model.onnx');
    const exp2 = await runCli(['export', '--model', join(FIXTURE, 'model'), '--out', onnx], { cwd });
    expect(exp2.stderr).toBe('');
    expect(exp2.code).toBe(0);
    expect(existsSync(onnx) && existsSync(`${onnx}.json`)).toBe(true);
  });

  it('a directory that cannot be made is an IO error naming it, not a stack trace', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'wd-fresh-'));
    writeFileSync(join(cwd, 'file'), '');
    const r = await runCli(['export', '--model', join(FIXTURE, 'model'), '--out', join(cwd, 'file', 'x', 'model.onnx')], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^widedeep export: file .*model\.onnx, field --out: cannot create the directory .*file\/x/);
  });
});
