import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { profileRows } from '../../src/data/profile.js';
import { rowsToChunk } from '../../src/features/rows.js';
import { initConfig } from '../../src/train/init-config.js';
import { fitRun } from '../../src/train/pipeline.js';
import { parseRunConfig } from '../../src/train/run-config.js';
import { runConfigSchema } from '../../src/train/run-config-schema.js';
import { errorOf } from '../features/fixtures.js';
import { runCli } from '../helpers/cli.js';
import { DATA_DIR, needData } from '../helpers/shared-data.js';

// Issue 16: `widedeep init --data my.csv --label clicked` writes a commented config that trains well.

type Config = { features: { columns: Record<string, unknown>[]; label: Record<string, unknown> }; data: Record<string, unknown>; train: Record<string, unknown> };

/** 2,000 rows of a click log with a user id, a row id, a time, a heavy-tailed price and a 1,200-value item. */
function clickRows(label: (i: number) => unknown): Record<string, unknown>[] {
  return Array.from({ length: 2000 }, (_, i) => ({
    row_id: `r${i}`,
    user_id: `u${i % 50}`,
    timestamp: 1_700_000_000 + i,
    device: ['mobile', 'desktop', 'tablet'][i % 3],
    item: `item${(i * 7) % 1200}`,
    country: i % 10 === 0 ? null : ['us', 'de', 'fr', 'jp'][i % 4],
    price: i % 50 === 0 ? 5000 + i : i % 7,
    constant: 'x',
    zip: [2139, 94110, 10001][i % 3],
    clicked: label(i),
  }));
}

function configOf(rows: Record<string, unknown>[], label = 'clicked'): Config {
  const chunk = rowsToChunk(rows);
  const text = initConfig(profileRows(chunk), chunk, { label, train: { path: 'clicks.csv' } });
  const raw = parseYaml(text) as Config;
  expect(() => parseRunConfig(raw)).not.toThrow();
  expect(runConfigSchema.safeParse(raw).success).toBe(true);
  return raw;
}

describe('widedeep init', () => {
  it('picks encodings by cardinality, log1p for a heavy tail, codes as categories, and leaves out ids, constants and the time column', () => {
    const c = configOf(clickRows((i) => (i % 3 === 0 ? 1 : 0)));
    const byName = new Map(c.features.columns.map((col) => [col.name as string, col]));
    expect(byName.has('row_id')).toBe(false);
    expect(byName.has('constant')).toBe(false);
    expect(byName.has('timestamp')).toBe(false);
    expect(byName.get('device')).toEqual({ type: 'categorical', name: 'device', embeddingDim: 3 });
    expect(byName.get('item')).toMatchObject({ type: 'categorical', hashBuckets: 3000, embeddingDim: 16 });
    expect(byName.get('price')).toMatchObject({ type: 'numeric', log1p: true, normalize: 'standardize' });
    expect(byName.get('price_buckets')).toMatchObject({ type: 'bucketized', source: 'price' });
    expect(byName.get('country')).toEqual({ type: 'categorical', name: 'country', embeddingDim: 3 });
    // A code read as a number is a category, read as text (02139 keeps its 0).
    expect(byName.get('zip')).toMatchObject({ type: 'categorical', name: 'zip' });
    expect(c.data.train).toMatchObject({ columns: { zip: 'categorical' } });
    expect(c.features.columns.some((col) => col.type === 'crossed')).toBe(true);
    expect(c.features.label).toEqual({ kind: 'binary', column: 'clicked' });
    expect(c.train.earlyStopping).toMatchObject({ metric: 'auc', mode: 'max' });
  });

  it('reads the label kind from its values', () => {
    expect(configOf(clickRows((i) => (i % 4 === 0 ? 'yes' : 'no'))).features.label).toEqual({ kind: 'binary', column: 'clicked', positive: ['yes'], negative: ['no'] });
    const regression = configOf(clickRows((i) => (i % 17) * 0.5));
    expect(regression.features.label).toEqual({ kind: 'regression', column: 'clicked' });
    expect(regression.train.earlyStopping).toMatchObject({ metric: 'rmse', mode: 'min' });
    expect(configOf(clickRows((i) => ['a', 'b', 'c'][i % 3])).features.label).toEqual({ kind: 'multiclass', column: 'clicked' });
  });

  it('refuses a label the data lacks, naming the columns, and a label that is an id', () => {
    const chunk = rowsToChunk(clickRows(() => 1));
    const missing = errorOf(() => initConfig(profileRows(chunk), chunk, { label: 'click', train: { path: 'x.csv' } }));
    expect(missing.message).toContain('no column click');
    expect(missing.details.fix).toContain('clicked');
    const id = errorOf(() => initConfig(profileRows(chunk), chunk, { label: 'row_id', train: { path: 'x.csv' } }));
    expect(id.details.field).toBe('--label');
  });

  it('does not overwrite a config without --force', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wd-init-'));
    writeFileSync(join(dir, 'clicks.csv'), 'device,clicked\nmobile,1\ndesktop,0\n');
    writeFileSync(join(dir, 'config.yaml'), 'keep me\n');
    const r = await runCli(['init', '--data', 'clicks.csv', '--label', 'clicked'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--force');
    expect(readFileSync(join(dir, 'config.yaml'), 'utf8')).toBe('keep me\n');
  }, 60_000);

  it('on Adult (its own config aside), init then fit reaches test AUC >= 0.90', async (ctx) => {
    needData('adult/adult.data', 'widedeep init on Adult', ctx);
    const dir = mkdtempSync(join(tmpdir(), 'wd-init-adult-'));
    const names = 'age,workclass,fnlwgt,education,education_num,marital_status,occupation,relationship,race,gender,capital_gain,capital_loss,hours_per_week,native_country,income_bracket';
    // The reader options of the adult dataset (src/data/datasets/adult.ts): no header, ', ', '?' missing.
    const args = ['--delimiter', ', ', '--no-header', '--column-names', names, '--null-values', '?,'];
    const r = await runCli(['init', '--data', join(DATA_DIR, 'adult/adult.data'), '--label', 'income_bracket', '--out', 'adult.yaml', ...args], { cwd: dir });
    expect(r.stderr).toContain('wrote');
    expect(r.code).toBe(0);
    const config = parseYaml(readFileSync(join(dir, 'adult.yaml'), 'utf8')) as Config & { data: { train: Record<string, unknown> } };
    // Test on adult.test, as the adult dataset does: its first line is a note, and its labels end in '.'.
    config.data = { ...config.data, test: { ...config.data.train, path: join(DATA_DIR, 'adult/adult.test'), skipLines: 1 } };
    delete config.data.testFraction;
    const label = config.features.label as { positive: string[]; negative: string[] };
    config.features.label = { ...label, positive: [...label.positive, ...label.positive.map((v) => `${v}.`)], negative: [...label.negative, ...label.negative.map((v) => `${v}.`)] };
    const outcome = await fitRun(parseRunConfig(config));
    try {
      expect(outcome.test.auc).toBeGreaterThanOrEqual(0.9);
    } finally {
      await outcome.model.release();
    }
  }, 300_000);
});
