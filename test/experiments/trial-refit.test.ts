import { describe, expect, it } from 'vitest';
import { expandSuite, parseSuite } from '../../src/experiments/suite.js';
import { runTrial } from '../../src/experiments/trial.js';
import { smallConfig, writeConfig } from '../helpers/small-config.js';

describe('experiment trials with train.refit', () => {
  it('record the refit epochs beside the early-stopped ones, and count both in rows/s', async () => {
    const raw = smallConfig({ epochs: 3, earlyStopping: true });
    const [, base] = writeConfig({ ...raw, train: { ...(raw.train as Record<string, unknown>), refit: true } });
    const trials = expandSuite(parseSuite({ name: 'refit', base, grid: { 'train.refit': [true, false] }, seeds: [1] }));
    const [withRefit, without] = await Promise.all(trials.map((t) => runTrial(t, { threads: 1 })));
    expect(withRefit!.error).toBeNull();
    const refit = withRefit!.refit!;
    expect(refit.history.length).toBe(refit.epochs);
    expect(refit.epochs).toBe(1 + (withRefit!.history.findIndex((h) => h.validation?.auc === Math.max(...withRefit!.history.map((x) => x.validation?.auc ?? 0)))));
    expect(refit.history.every((h) => h.validation === null)).toBe(true);
    const epochs = [...withRefit!.history, ...refit.history];
    const rows = epochs.reduce((s, h) => s + h.rowsPerSec * h.seconds, 0);
    const seconds = epochs.reduce((s, h) => s + h.seconds, 0);
    expect(withRefit!.rowsPerSec).toBeCloseTo(rows / seconds, 6);
    expect(without!.refit).toBeNull();
  });
});
