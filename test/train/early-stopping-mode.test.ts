import { describe, expect, it } from 'vitest';
import { METRIC_DIRECTIONS, metricDirection } from '../../src/metrics/index.js';
import { parseTrainConfig } from '../../src/train/config.js';
import { fitRun } from '../../src/train/pipeline.js';
import { parseRunConfig } from '../../src/train/run-config.js';
import { smallConfig } from '../helpers/small-config.js';

const modeOf = (earlyStopping: Record<string, unknown>): string | undefined => parseTrainConfig({ earlyStopping }).earlyStopping?.mode;

describe('early stopping mode', () => {
  it('follows the metric unless given: min for losses and errors, max for the rest', () => {
    expect(modeOf({})).toBe('max');
    for (const metric of ['logLoss', 'rmse', 'mae']) expect(modeOf({ metric })).toBe('min');
    for (const metric of ['auc', 'accuracy', 'f1', 'ndcg@10', 'hitRate@5']) expect(modeOf({ metric })).toBe('max');
    expect(modeOf({ metric: 'logLoss', mode: 'max' })).toBe('max');
    expect(modeOf({ metric: 'calibration', mode: 'min' })).toBe('min');
    expect(Object.values(METRIC_DIRECTIONS).every((d) => d === 'max' || d === 'min')).toBe(true);
    expect(metricDirection('meanPrediction')).toBeUndefined();
  });

  it('a metric without a direction needs the mode given', () => {
    expect(() => modeOf({ metric: 'calibration' })).toThrow(/calibration has no better direction.*mode: max or mode: min/);
  });

  it('earlyStopping on logLoss keeps the epoch of the lowest validation loss', async () => {
    const raw = smallConfig({ epochs: 4 });
    const train = { ...(raw.train as Record<string, unknown>), earlyStopping: { metric: 'logLoss', patience: 1 } };
    const r = await fitRun(parseRunConfig({ ...raw, train }));
    const losses = r.result.history.map((h) => h.validation!.logLoss!);
    expect(r.result.best!.value).toBe(Math.min(...losses));
    expect(r.validation!.logLoss).toBeCloseTo(Math.min(...losses), 10);
    await r.model.release();
  });
});
