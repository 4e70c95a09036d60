import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveBundle } from '../../src/artifact/bundle.js';
import type { ModelState } from '../../src/model/wide-deep.js';
import { fitRun, type FitOutcome } from '../../src/train/pipeline.js';
import { parseRunConfig } from '../../src/train/run-config.js';
import { jsonLines, runCli } from '../helpers/cli.js';
import { smallConfig } from '../helpers/small-config.js';

// Issue 13: `widedeep predict` never prints a null prediction with exit 0, and `eval` never reports metrics of
// NaN scores. The model has no list column, so that its rows can come from a CSV file.

const ROWS = [
  { user_id: 'u1', app_id: 'a1', app_category: 'cat01', country: 'cty00', age: 31 },
  { user_id: 'u2', app_id: 'a9', app_category: 'cat02', country: 'cty01', age: 52 },
  { user_id: 'u3', app_id: 'a4', app_category: 'cat03', country: 'cty02', age: 40 },
];
const stdin = (rows: readonly Record<string, unknown>[]): string => rows.map((r) => JSON.stringify(r)).join('\n');
const csv = (rows: readonly Record<string, unknown>[]): string =>
  [Object.keys(ROWS[0]!).join(','), ...rows.map((r) => Object.keys(ROWS[0]!).map((k) => String(r[k])).join(','))].join('\n') + '\n';

describe('predict and eval with non-finite numbers', () => {
  let outcome: FitOutcome;
  let dir: string;
  const model = (name: string): string => join(dir, name);

  beforeAll(async () => {
    const raw = smallConfig({ epochs: 1 });
    const features = raw.features as { columns: { type: string }[] };
    const config = parseRunConfig({ ...raw, features: { ...features, columns: features.columns.filter((c) => c.type !== 'multi-valued') } });
    outcome = await fitRun(config);
    dir = mkdtempSync(join(tmpdir(), 'wd-nonfinite-'));
    const save = (name: string, state: ModelState) => saveBundle(model(name), { config: config.raw, model: config.model, spec: outcome.spec, seed: config.seed, state });
    await save('clean', outcome.model.exportState('weights'));
    // NaN in the wide bias: every row's output is NaN (if the bundle loads at all).
    const wide = outcome.model.wide[0]!;
    const nan = outcome.model.exportState('weights');
    nan.tensors.get(wide.table.name)![wide.biasRow] = Number.NaN;
    await save('nan', nan);
    // Finite weights whose sums overflow float32: every row's wide logit is Infinity.
    const huge = outcome.model.exportState('weights');
    huge.tensors.get(wide.table.name)!.fill(3e38);
    await save('huge', huge);
  }, 120_000);

  afterAll(async () => {
    await outcome?.model.release();
  });

  it('a JSON row on stdin with a number that overflows float32 is a bad row, not a null prediction', async () => {
    const ok = await runCli(['predict', '--model', model('clean'), '--input', '-'], { input: stdin(ROWS) });
    expect(ok.code).toBe(0);
    expect(jsonLines(ok.stdout).map((l) => typeof l.prediction)).toEqual(['number', 'number', 'number']);
    const r = await runCli(['predict', '--model', model('clean'), '--input', '-'], { input: stdin([ROWS[0]!, { ...ROWS[1]!, age: 1e40 }, ROWS[2]!]) });
    expect(r.code).not.toBe(0);
    expect(r.stdout).not.toContain('null');
    expect(r.stderr).toMatch(/file stdin, row 2, field age: .*1e\+40/);
    expect(r.stderr).toContain('fix:');
  }, 60_000);

  it('a CSV file with such a number is refused alike, naming its line', async () => {
    const path = join(dir, 'rows.csv');
    writeFileSync(path, csv([ROWS[0]!, ROWS[1]!, { ...ROWS[2]!, age: 1e40 }]));
    const r = await runCli(['predict', '--model', model('clean'), '--input', path]);
    expect(r.code).not.toBe(0);
    expect(r.stdout).not.toContain('null');
    expect(r.stderr).toMatch(/row 4, field age: .*1e\+40/);
  }, 60_000);

  it('a model whose output overflows: predict and predict --explain fail naming the row, eval reports no metrics', async () => {
    for (const extra of [[], ['--explain']]) {
      const r = await runCli(['predict', '--model', model('huge'), '--input', '-', ...extra], { input: stdin(ROWS) });
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/file stdin, row 1: the model's output for this row is not finite: prediction 1, logit Infinity/);
    }
    const ev = await runCli(['eval', '--model', model('huge'), '--json']);
    expect(ev.code).not.toBe(0);
    expect(jsonLines(ev.stdout)).toEqual([]);
    expect(ev.stderr).toMatch(/not finite/);
  }, 60_000);

  it('a model with a NaN weight never answers null: refused when loaded, or when it scores', async () => {
    const r = await runCli(['predict', '--model', model('nan'), '--input', '-'], { input: stdin(ROWS) });
    expect(r.code).not.toBe(0);
    expect(r.stdout).not.toContain('null');
    expect(r.stderr).toMatch(/NaN/);
  }, 60_000);
});
