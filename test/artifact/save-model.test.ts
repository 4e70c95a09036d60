import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { loadBundle, readBundle, saveModel } from '../../src/index.js';
import { fitCommand } from '../../src/cli/fit.js';
import { rowsToChunk } from '../../src/features/rows.js';
import { transform } from '../../src/features/transform.js';
import { modelBatchOf } from '../../src/model/from-spec.js';
import { fitRun } from '../../src/train/pipeline.js';
import { parseRunConfig } from '../../src/train/run-config.js';
import { smallConfig } from '../helpers/small-config.js';

// Issue 16, "The library": saving a fitRun outcome takes one call, and writes the bundle `widedeep fit` writes.

describe('saveModel', () => {
  it('writes the bundle of `widedeep fit` (config, weights, metrics, data fingerprint) from a fit outcome', async () => {
    const config = parseRunConfig(smallConfig({ epochs: 1 }));
    const out = mkdtempSync(join(tmpdir(), 'wd-save-model-'));
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const outcome = await fitCommand({ ...config, train: { ...config.train, checkpoint: false } }, { outDir: out, json: true, resume: false, saveOptimizerState: false });
    vi.restoreAllMocks();
    try {
      await saveModel(outcome, join(out, 'library'));
      const cli = (await readBundle(join(out, 'model'))).manifest;
      const lib = (await readBundle(join(out, 'library'))).manifest;
      // Everything but the time of writing, and the digest that covers it.
      const { createdAt: _c, ...cliRest } = cli as typeof cli & { digest?: string };
      const { createdAt: _c2, ...libRest } = lib as typeof lib & { digest?: string };
      delete cliRest.digest;
      delete libRest.digest;
      expect(libRest).toEqual(cliRest);
      expect(lib.metrics).toMatchObject({ test: outcome.test, stoppedEarly: outcome.result.stoppedEarly, refit: null });
      expect(lib.data).toEqual(JSON.parse(JSON.stringify(outcome.data.fingerprint)));
      expect(lib.config).toEqual(config.raw);

      // The bundle loads into a model that scores as the fitted one.
      const rows = [{ age: 30, app_category: 'cat_1', app_id: 'app_2', country: 'c_0', installed_apps: ['app_3'], user_id: 'user_4' }];
      const batch = () => modelBatchOf(transform(outcome.spec, rowsToChunk(rows), { mode: 'serve' }));
      const { model } = await loadBundle(join(out, 'library'));
      expect(Array.from((await model.predict(batch())).prediction)).toEqual(Array.from((await outcome.model.predict(batch())).prediction));
      await model.release();
    } finally {
      await outcome.model.release();
    }
  }, 120_000);

  it('saves the optimizer state when asked', async () => {
    const config = parseRunConfig(smallConfig({ epochs: 1, rows: 1000 }));
    const outcome = await fitRun(config);
    try {
      const dir = mkdtempSync(join(tmpdir(), 'wd-save-model-'));
      await saveModel(outcome, join(dir, 'weights'));
      await saveModel(outcome, join(dir, 'full'), { optimizerState: true });
      expect((await readBundle(join(dir, 'weights'))).manifest.state).toBe('weights');
      expect((await readBundle(join(dir, 'full'))).manifest.state).toBe('full');
    } finally {
      await outcome.model.release();
    }
  }, 120_000);
});
