import { describe, expect, it } from 'vitest';
import { WideDeepError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/rng.js';
import { RowGradients, SparseTable, TableAverage } from '../../src/sparse/index.js';

/** A dim-1 table trained by SGD through RowGradients (the wide part's path), a few random rows per step. */
function setup(decay: number) {
  const table = new SparseTable({ name: 't', numRows: 40, dim: 1, optimizer: { type: 'sgd', lr: 0.3 }, init: { type: 'xavier-uniform' } }, new Rng(5));
  const avg = new TableAverage(table, decay, 0);
  const grads = new RowGradients(table);
  return { table, avg, grads };
}

describe('TableAverage (lazy exponential moving average of a sparse table)', () => {
  it('equals the average of every row taken at every step, though it only touches the updated rows', () => {
    const decay = 0.9;
    const { table, avg, grads } = setup(decay);
    const rng = new Rng(11);
    // The reference, in float64: after every step, every row moves toward its current weight.
    const ref = Float64Array.from(table.exportWeights());
    const rareRow = 39; // updated only at step 7: long stretches of catch-up before and after
    for (let step = 1; step <= 120; step++) {
      grads.reset();
      const k = 1 + rng.int(4);
      for (let i = 0; i < k; i++) grads.addScalar(rng.int(20), rng.normal());
      if (step === 7) grads.addScalar(rareRow, 2);
      avg.update(grads, step);
      const w = table.exportWeights();
      for (let r = 0; r < ref.length; r++) ref[r] = decay * (ref[r] as number) + (1 - decay) * (w[r] as number);
      if (step === 50) avg.sync(step); // an evaluation mid-way does not change the averages
    }
    avg.sync(120);
    for (let r = 0; r < ref.length; r++) expect(avg.values[r]).toBeCloseTo(ref[r] as number, 6);
    // Rows 20..38 never moved: their average is their weight, exactly.
    const w = table.exportWeights();
    for (let r = 20; r < 39; r++) expect(avg.values[r]).toBe(w[r]);
    // The rare row's average is neither its first weight nor its last.
    expect(Math.abs((avg.values[rareRow] as number) - (w[rareRow] as number))).toBeGreaterThan(1e-6);
  });

  it('swap puts the averages in the table and back, exactly; optimizer state stays', () => {
    const { table, avg, grads } = setup(0.5);
    for (let step = 1; step <= 5; step++) {
      grads.reset();
      grads.addScalar(step, 1);
      avg.update(grads, step);
    }
    avg.sync(5);
    const weights = table.exportWeights();
    const averages = avg.values.slice();
    const state = table.exportState();
    avg.swap();
    expect(table.exportWeights()).toEqual(averages);
    expect(avg.values).toEqual(weights);
    avg.swap();
    expect(table.exportState()).toEqual(state);
    expect(avg.values).toEqual(averages);
  });

  it('refuses a decay outside (0, 1) and averages of another size, naming what to fix', () => {
    const table = new SparseTable({ name: 't', numRows: 4, dim: 2, optimizer: { type: 'sgd', lr: 0.1 }, init: { type: 'zeros' } });
    for (const d of [0, 1, -0.5, Number.NaN]) {
      expect(() => new TableAverage(table, d, 0)).toThrow(WideDeepError);
    }
    try {
      new TableAverage(table, 1.5, 0);
    } catch (e) {
      expect((e as WideDeepError).details.field).toBe('train.ema.decay');
    }
    const avg = new TableAverage(table, 0.9, 0);
    expect(() => avg.load(new Float32Array(7), 3)).toThrow(/t: the saved weight averages hold 7 floats, the table needs 8/);
  });
});
