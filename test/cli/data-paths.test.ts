import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBundle } from '../../src/artifact/bundle.js';
import { resolveDataPaths } from '../../src/train/run-config.js';
import { jsonLines, runCli } from '../helpers/cli.js';
import { fileConfig, tempDir, writeCsv } from '../train/stream-fixtures.js';

// Issue 16: data paths resolved against the current directory, and `eval` from another directory failed on
// the bundle's stored relative path with no hint of where it came from.

let root: string;
beforeAll(() => {
  root = tempDir();
  mkdirSync(join(root, 'data'));
  mkdirSync(join(root, 'conf'));
  writeCsv(join(root, 'data', 'train.csv'), 800, { seed: 1 });
  const config = fileConfig({ train: '../data/train.csv', stream: null, epochs: 1 });
  writeFileSync(join(root, 'conf', 'run.yaml'), stringify(config));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('data paths', () => {
  it('resolveDataPaths resolves train, test and dataDir against the base, and leaves absolute paths', () => {
    const raw = { seed: 1, data: { dataset: 'files', dataDir: 'd', train: { path: 'a.csv', delimiter: ',' }, test: { path: '/abs/b.csv' } } };
    expect(resolveDataPaths(raw, '/base')).toEqual({ seed: 1, data: { dataset: 'files', dataDir: '/base/d', train: { path: '/base/a.csv', delimiter: ',' }, test: { path: '/abs/b.csv' } } });
    expect(raw.data.train.path).toBe('a.csv');
  });

  it('fit resolves them against the config file, the bundle names them absolutely, and eval works from elsewhere; a moved file gets a hint', async () => {
    const fit = await runCli(['fit', '--config', 'conf/run.yaml', '--out', 'run'], { cwd: root });
    expect(fit.code, fit.stderr).toBe(0);
    const model = join(root, 'run', 'model');
    const { manifest } = await readBundle(model);
    expect((manifest.config as { data: { train: { path: string } } }).data.train.path).toBe(join(root, 'data', 'train.csv'));

    const evaluate = await runCli(['eval', '--model', model, '--json'], { cwd: tmpdir() });
    expect(evaluate.code, evaluate.stderr).toBe(0);
    expect(jsonLines(evaluate.stdout)[0]?.event).toBe('eval');

    renameSync(join(root, 'data', 'train.csv'), join(root, 'data', 'moved.csv'));
    const moved = await runCli(['eval', '--model', model], { cwd: tmpdir() });
    expect(moved.code).toBe(2);
    expect(moved.stderr).toContain("this path came from the bundle's manifest");
    expect(moved.stderr).toContain('data.train.path');
    expect(moved.stderr).toContain('--input');
  }, 60_000);
});
