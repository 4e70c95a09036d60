import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { evaluate } from '../../src/metrics/metric-set.js';
import { fitRun } from '../../src/train/pipeline.js';
import { loadRunConfig, parseRunConfig } from '../../src/train/run-config.js';
import { jsonLines, runCli } from '../helpers/cli.js';
import { tempDir } from './stream-fixtures.js';

// Issue 16: accuracy, precision, recall and F1 were scored at 0.5 only (11% positives gave P/R/F1 = 0). The
// decision threshold is `train.threshold` (and `eval --threshold`), and the threshold that maximises F1 is
// reported with the metrics.

const ROOT = resolve(import.meta.dirname, '../..');

describe('decision threshold', () => {
  // Scores 0.9 0.8 0.35 0.3 0.2 0.1 with labels 1 0 1 1 0 0.
  const input = { predictions: Float64Array.of(0.9, 0.8, 0.35, 0.3, 0.2, 0.1), labels: Float64Array.of(1, 0, 1, 1, 0, 0) };

  it('scores accuracy, precision, recall and F1 at the threshold, and finds the best-F1 threshold (by hand)', () => {
    // At 0.5: positive {0.9, 0.8}: tp 1, fp 1, fn 2.
    const half = evaluate('binary', input);
    expect([half.precision, half.recall, half.f1, half.accuracy]).toEqual([0.5, 1 / 3, 0.4, 3 / 6]);
    // At 0.25: positive {0.9, 0.8, 0.35, 0.3}: tp 3, fp 1, fn 0, tn 2.
    const low = evaluate('binary', input, { threshold: 0.25 });
    expect([low.precision, low.recall, low.f1, low.accuracy]).toEqual([0.75, 1, 6 / 7, 5 / 6]);
    // F1 by candidate threshold: 0.9 -> 2/4, 0.8 -> 2/5, 0.35 -> 4/6, 0.3 -> 6/7, 0.2 -> 6/8, 0.1 -> 6/9.
    expect([half.bestF1Threshold, half.bestF1]).toEqual([0.3, 6 / 7]);
    expect([low.bestF1Threshold, low.bestF1]).toEqual([0.3, 6 / 7]);
  });

  it('ties are one candidate, the highest threshold wins among equal F1s, and no positive gives F1 0', () => {
    const tied = evaluate('binary', { predictions: Float64Array.of(0.7, 0.7, 0.2), labels: Float64Array.of(1, 0, 0) });
    expect([tied.bestF1Threshold, tied.bestF1]).toEqual([0.7, 2 / 3]);
    const none = evaluate('binary', { predictions: Float64Array.of(0.7, 0.2), labels: Float64Array.of(0, 0) });
    expect(none.bestF1).toBe(0);
  });

  it('train.threshold is used by fit (validation and test); eval --threshold overrides the bundle config', async () => {
    const base = await loadRunConfig(join(ROOT, 'examples', 'files.yaml'));
    const { threshold: _example, ...train } = base.raw.train as Record<string, unknown>;
    const withThreshold = (t: number | undefined): ReturnType<typeof parseRunConfig> =>
      parseRunConfig({ ...base.raw, train: { ...train, epochs: 3, ...(t !== undefined ? { threshold: t } : {}) } });
    const half = await fitRun(withThreshold(undefined));
    const low = await fitRun(withThreshold(0.15));
    await Promise.all([half.model.release(), low.model.release()]);
    // The same model (same seed), scored at another threshold: the ranking metrics agree, the others follow it.
    expect(low.test.auc).toBe(half.test.auc);
    expect(half.test.recall).toBeLessThan(0.1);
    expect(low.test.recall).toBeGreaterThan(0.3);
    expect(low.test.f1).toBeGreaterThan(half.test.f1 as number);
    expect(low.validation?.bestF1).toBeGreaterThan(0.2);
    expect(low.validation?.bestF1Threshold).toBeGreaterThan(0);

    const dir = tempDir();
    const config = join(dir, 'clicks.yaml');
    writeFileSync(config, stringify({ ...base.raw, train: { ...train, epochs: 3, threshold: 0.15 } }));
    expect((await runCli(['fit', '--config', config, '--out', join(dir, 'run')])).code).toBe(0);
    const model = join(dir, 'run', 'model');
    const [fromConfig, fromFlag, bad] = await Promise.all([
      runCli(['eval', '--model', model, '--json']),
      runCli(['eval', '--model', model, '--json', '--threshold', '0.5']),
      runCli(['eval', '--model', model, '--threshold', '2']),
    ]);
    const metrics = (r: { stdout: string }): Record<string, number> => jsonLines(r.stdout)[0]?.metrics as Record<string, number>;
    expect(metrics(fromConfig).recall).toBeCloseTo(low.test.recall as number, 6);
    expect(metrics(fromFlag).recall).toBeCloseTo(half.test.recall as number, 6);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--threshold must be a number in (0, 1), got 2');
  }, 60_000);
});
