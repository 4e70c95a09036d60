import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { chunkFromColumns } from '../../src/data/index.js';
import { permutation, permutationImportance, sampleRows, withShuffledColumn } from '../../src/experiments/importance.js';
import { type FitOutcome, fitRun } from '../../src/train/pipeline.js';
import { parseRunConfig } from '../../src/train/run-config.js';

/**
 * A planted world: `signal` (4 values) decides the label (a, b: 1; c, d: 0), with 5% of labels flipped;
 * `noise` (a category) and `x` (a number) are drawn independently of it.
 */
function plantedCsv(rows: number): string {
  const rng = new Rng(7);
  const lines = ['signal,noise,x,label'];
  for (let i = 0; i < rows; i++) {
    const signal = 'abcd'[rng.int(4)] as string;
    const flip = rng.uniform() < 0.05;
    const label = (signal === 'a' || signal === 'b') !== flip ? 1 : 0;
    lines.push(`${signal},n${rng.int(6)},${(rng.uniform() * 10).toFixed(3)},${label}`);
  }
  return `${lines.join('\n')}\n`;
}

describe('permutation importance', () => {
  let run: FitOutcome;
  let csvPath: string;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wd-importance-'));
    const csv = join(dir, 'planted.csv');
    csvPath = csv;
    writeFileSync(csv, plantedCsv(3000));
    const config = parseRunConfig({
      seed: 1,
      data: { dataset: 'files', train: { path: csv }, testFraction: 0.3 },
      features: {
        columns: [
          { type: 'categorical', name: 'signal', embeddingDim: 2 },
          { type: 'categorical', name: 'noise', embeddingDim: 2 },
          { type: 'numeric', name: 'x', normalize: 'standardize' },
        ],
        label: { kind: 'binary', column: 'label' },
      },
      model: { kind: 'wide_deep', deep: { type: 'mlp', hidden: [4] } },
      train: { epochs: 3, batchSize: 64, validationFraction: 0.1, checkpoint: false },
    });
    run = await fitRun(config, { threads: 1 });
  });

  afterAll(async () => {
    await run.model.release();
  });

  it('the planted column has the largest drop; the noise columns stay near 0', async () => {
    const imp = (await permutationImportance(run.model, run.spec, run.data.test, { seed: 3 }))!;
    expect(imp.map((c) => c.column).sort()).toEqual(['noise', 'signal', 'x']);
    const drop = Object.fromEntries(imp.map((c) => [c.column, c.drop]));
    expect(imp.every((c) => c.metric === 'auc')).toBe(true);
    // Test AUC is ~0.95 with signal and ~0.5 without it.
    expect(drop['signal']).toBeGreaterThan(0.3);
    expect(Math.abs(drop['noise']!)).toBeLessThan(0.02);
    expect(Math.abs(drop['x']!)).toBeLessThan(0.02);
  });

  it('is a function of its seed, and scores at most maxRows rows', async () => {
    const a = await permutationImportance(run.model, run.spec, run.data.test, { seed: 3, maxRows: 200 });
    const b = await permutationImportance(run.model, run.spec, run.data.test, { seed: 3, maxRows: 200 });
    const all = await permutationImportance(run.model, run.spec, run.data.test, { seed: 3 });
    expect(a).toEqual(b);
    // 200 of ~900 rows: another sample, so other drops.
    expect(a).not.toEqual(all);
  });

  it('regression: the RMSE gained when the planted column is shuffled', async () => {
    const config = parseRunConfig({
      seed: 2,
      data: { dataset: 'files', train: { path: csvPath }, testFraction: 0.3 },
      features: { columns: [{ type: 'categorical', name: 'signal', embeddingDim: 2 }, { type: 'categorical', name: 'noise', embeddingDim: 2 }], label: { kind: 'regression', column: 'label' } },
      model: { kind: 'wide', optimizers: { wide: { type: 'ftrl', alpha: 0.5 } } },
      train: { epochs: 3, batchSize: 64, validationFraction: 0.1, checkpoint: false },
    });
    const reg = await fitRun(config, { threads: 1 });
    try {
      const imp = (await permutationImportance(reg.model, reg.spec, reg.data.test, { seed: 3 }))!;
      const drop = Object.fromEntries(imp.map((c) => [c.column, c.drop]));
      expect(imp.every((c) => c.metric === 'rmse')).toBe(true);
      expect(drop['signal']).toBeGreaterThan(0.1);
      expect(Math.abs(drop['noise']!)).toBeLessThan(0.02);
    } finally {
      await reg.model.release();
    }
  });

  it('a sample draws distinct rows in order; a permutation moves one column only', () => {
    const s = sampleRows(1000, 50, new Rng(1));
    expect(s).toHaveLength(50);
    expect(new Set(s).size).toBe(50);
    expect([...s]).toEqual([...s].sort((x, y) => x - y));
    expect(sampleRows(10, 50, new Rng(1))).toHaveLength(10);
    const p = permutation(100, new Rng(2));
    expect([...p].sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    const rows = chunkFromColumns({ a: Float64Array.from([1, 2, 3]), b: ['x', 'y', 'z'] });
    const moved = withShuffledColumn(rows, 'b', Int32Array.from([2, 0, 1]));
    expect(moved.columns.get('b')).toEqual(['z', 'x', 'y']);
    expect(moved.columns.get('a')).toBe(rows.columns.get('a'));
    expect(rows.columns.get('b')).toEqual(['x', 'y', 'z']);
  });
});
