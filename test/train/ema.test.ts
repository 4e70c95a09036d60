import { describe, expect, it } from 'vitest';
import { WideDeepError } from '../../src/core/errors.js';
import { fitRun } from '../../src/train/pipeline.js';
import { parseRunConfig } from '../../src/train/run-config.js';
import { checkpointOfKilledRun } from '../helpers/kill-resume.js';
import { smallConfig } from '../helpers/small-config.js';
import { fileConfig, tempDir, writeCsv } from './stream-fixtures.js';

/** The small synthetic run with early stopping and train.ema. */
function emaConfig(decay = 0.95): Record<string, unknown> {
  const raw = smallConfig({ epochs: 4, earlyStopping: true });
  return { ...raw, train: { ...(raw.train as Record<string, unknown>), ema: { decay } } };
}

describe('training with weight averages (train.ema)', () => {
  it('validation scores the averages, and the model training leaves behind is the best epoch\'s averages', async () => {
    const r = await fitRun(parseRunConfig(emaConfig()));
    const best = r.result.history[r.result.best!.epoch]!;
    // The final model, scored again on validation, is exactly what early stopping chose.
    expect(r.validation).toEqual(best.validation);
    const plain = await fitRun(parseRunConfig(smallConfig({ epochs: 4, earlyStopping: true })));
    expect(plain.result.history[0]!.validation).not.toEqual(r.result.history[0]!.validation);
    await r.model.release();
    await plain.model.release();
  });

  it('a run killed after epoch 2 and resumed from its checkpoint ends exactly like an uninterrupted one', async () => {
    const config = parseRunConfig(emaConfig());
    const whole = await fitRun(config);
    const saved = await checkpointOfKilledRun(config, 2);
    expect([...saved.model.tensors.keys()].some((k) => k.startsWith('ema.'))).toBe(true);
    const resumed = await fitRun(config, { resume: saved });
    expect(resumed.result.history.map((h) => h.validation)).toEqual(whole.result.history.map((h) => h.validation));
    expect(resumed.test).toEqual(whole.test);
    // The checkpoint cannot resume a run configured without averages.
    await expect(fitRun(parseRunConfig(smallConfig({ epochs: 4, earlyStopping: true })), { resume: saved })).rejects.toThrow(/written with train.ema/);
    await whole.model.release();
    await resumed.model.release();
  });

  it('averages in stream mode, a wide-only model and a GRU deep part as well', async () => {
    const dir = tempDir();
    const train = `${dir}/train.csv`;
    writeCsv(train, 2000, { seed: 2 });
    const stream = fileConfig({ train, stream: { shuffleBuffer: 500, chunkSize: 256 }, epochs: 3, earlyStopping: true });
    const raw = smallConfig({ epochs: 2, earlyStopping: true });
    const gru = {
      ...raw,
      features: { ...(raw.features as Record<string, unknown>), columns: [...((raw.features as { columns: unknown[] }).columns), { type: 'sequence', name: 'recent', source: 'installed_apps', length: 4, embeddingDim: 4 }] },
      model: { ...(raw.model as Record<string, unknown>), deep: { type: 'gru', sequence: 'recent', hidden: 8 } },
    };
    const wide = { ...raw, model: { ...(raw.model as Record<string, unknown>), kind: 'wide' } };
    for (const c of [stream, gru, wide] as Record<string, unknown>[]) {
      const r = await fitRun(parseRunConfig({ ...c, train: { ...(c.train as Record<string, unknown>), ema: { decay: 0.9 } } }));
      expect(r.validation).toEqual(r.result.history[r.result.best!.epoch]!.validation);
      expect(r.model.averageDecay).toBeNull();
      await r.model.release();
    }
  });

  it('a decay outside (0, 1) or an unknown key under train.ema is a config error naming the key', () => {
    const field = (raw: Record<string, unknown>): string | undefined => {
      try {
        parseRunConfig(raw);
      } catch (e) {
        expect(e).toBeInstanceOf(WideDeepError);
        return (e as WideDeepError).details.field;
      }
      return undefined;
    };
    expect(field(emaConfig(1))).toBe('train.ema.decay');
    const raw = emaConfig();
    expect(field({ ...raw, train: { ...(raw.train as Record<string, unknown>), ema: { decay: 0.9, rate: 2 } } })).toBe('train.ema');
    // null turns it off (an experiment grid's way to remove the key).
    expect(parseRunConfig({ ...raw, train: { ...(raw.train as Record<string, unknown>), ema: null } }).train.ema).toBeNull();
  });
});
