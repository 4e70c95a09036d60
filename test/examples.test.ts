import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fitRun } from '../src/train/pipeline.js';
import { loadRunConfig } from '../src/train/run-config.js';
import { DATA_DIR, needData } from './helpers/shared-data.js';

// Every example config parses, loads its data, fits its feature spec, trains a few steps and evaluates.
const ROOT = resolve(import.meta.dirname, '..');
const NEEDS: Record<string, string> = { adult: 'adult/adult.data', 'movielens-100k': 'ml-100k/u.data', criteo: 'criteo/train.tiny.txt' };
const examples = readdirSync(join(ROOT, 'examples')).filter((f) => f.endsWith('.yaml'));

describe('example configs', () => {
  for (const file of examples) {
    it(file, async (ctx) => {
      const config = await loadRunConfig(join(ROOT, 'examples', file));
      const need = NEEDS[config.data.dataset];
      if (need) needData(need, `examples/${file}`, ctx);
      const { earlyStopping: _unused, ...train } = config.train;
      const short = {
        ...config,
        data: { ...config.data, dataDir: DATA_DIR, ...(config.data.dataset === 'synthetic' ? { rows: 30_000 } : {}) },
        train: { ...train, refit: false, epochs: 1, maxSteps: 20 },
      };
      const r = await fitRun(short);
      const metric = r.test.auc ?? r.test.rmse ?? r.test.accuracy;
      expect(Number.isFinite(metric)).toBe(true);
      expect(r.result.steps).toBeGreaterThan(0);
      expect(r.result.steps).toBeLessThanOrEqual(20);
      await r.model.release();
    });
  }
});

describe('examples/files.yaml (your own data, the shipped examples/clicks.csv)', () => {
  it('trains in full to a test AUC that shows the planted signal, with its path relative to the config', async () => {
    const config = await loadRunConfig(join(ROOT, 'examples', 'files.yaml'));
    expect(config.data.train?.path).toBe(join(ROOT, 'examples', 'clicks.csv'));
    const r = await fitRun(config);
    await r.model.release();
    expect(r.test.count).toBe(1000);
    expect(r.test.auc).toBeGreaterThan(0.7);
  });
});
