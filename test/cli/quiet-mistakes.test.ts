import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WideDeepError } from '../../src/core/errors.js';
import { epochsFlag } from '../../src/cli/args.js';
import { divergence, lowerRatesFix } from '../../src/train/divergence.js';
import { FIXTURE } from '../helpers/bundle-fixture.js';
import { jsonLines, runCli } from '../helpers/cli.js';
import { smallConfig, writeConfig } from '../helpers/small-config.js';

// Issue 16: mistakes that gave a result without a word.
const MODEL = join(FIXTURE, 'model');
const lines = (rows: readonly Record<string, unknown>[]): string => rows.map((r) => JSON.stringify(r)).join('\n');

describe('predict warns and refuses instead of guessing', () => {
  it('names each key of stdin rows the model does not read, once, at the first row that has it', async () => {
    const rows = [
      { country: 'cty00', age: 22, app_category: 'cat00', label: 1 },
      { country: 'cty01', age: 46, app_category: 'cat00' },
      { countyr: 'cty01', age: 24, app_category: 'cat02' },
      { countyr: 'cty00', age: 33, app_category: 'cat00', extra: 'x' },
    ];
    const r = await runCli(['predict', '--model', MODEL, '--input', '-'], { input: lines(rows) });
    expect(r.code).toBe(0);
    expect(jsonLines(r.stdout)).toHaveLength(4);
    const warnings = r.stderr.trim().split('\n');
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/^widedeep predict: warning: ignored columns the model does not read: countyr \(first at row 3\) \(fix: the model reads .*country/);
    expect(warnings[1]).toMatch(/ignored columns the model does not read: extra \(first at row 4\)/);
  });

  it('says nothing when every key is read (the label aside)', async () => {
    const r = await runCli(['predict', '--model', MODEL, '--input', '-'], { input: lines([{ country: 'cty00', age: 22, app_category: 'cat00', label: 0 }]) });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
  });

  it('--top-k without --explain is a usage error with the fix', async () => {
    const r = await runCli(['predict', '--model', MODEL, '--input', '-', '--top-k', '3'], { input: lines([{ age: 1 }]) });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/--top-k .*--explain is not given \(fix: add --explain, or leave --top-k out\)/);
  });
});

describe('fit refuses a run that cannot train and warns when training diverges', () => {
  it('--epochs 0 is a config error, before anything is read', async () => {
    expect(() => epochsFlag('0')).toThrow(WideDeepError);
    expect(epochsFlag('3')).toBe(3);
    const r = await runCli(['fit', '--config', 'no-such.yaml', '--epochs', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/epochs must be >= 1, got 0/);
    const demo = await runCli(['demo', '--epochs', '0']);
    expect(demo.code).toBe(2);
    expect(demo.stderr).toMatch(/epochs must be >= 1, got 0/);
  });

  it('an epoch whose loss is far above the first step\'s is divergence', () => {
    expect(divergence(0, 0.45, 0.69)).toBeNull();
    expect(divergence(1, 7, 0.69)).toMatch(/training diverged: the mean training loss of epoch 2 is 7\.00/);
    expect(lowerRatesFix([{ name: 'wide', baseRate: 1e6 }, { name: 'deep', baseRate: 0.01 }])).toMatch(/now wide 1000000, deep 0\.01/);
  });

  it('a learning rate of 1e6 warns once, naming the rates to lower (text and --json)', async () => {
    const raw = smallConfig({ epochs: 2, rows: 1500 }) as { model: Record<string, unknown> };
    raw.model.optimizers = { wide: { type: 'ftrl', alpha: 0.5 }, embeddings: { type: 'adagrad', lr: 0.1 }, deep: { type: 'adam', lr: 1e6 } };
    const [dir, path] = writeConfig(raw);
    const text = await runCli(['fit', '--config', path, '--out', join(dir, 'a')]);
    expect(text.code).toBe(0);
    const warnings = text.stderr.split('\n').filter((l) => l.includes('warning'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^widedeep fit: warning: training diverged: .*\(fix: lower the learning rates .*deep 1000000/);
    const json = await runCli(['fit', '--config', path, '--out', join(dir, 'b'), '--json']);
    expect(json.code).toBe(0);
    const events = jsonLines(json.stderr);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ event: 'warning', message: expect.stringMatching(/training diverged/), fix: expect.stringMatching(/lower the learning rates/) });
  });
});
