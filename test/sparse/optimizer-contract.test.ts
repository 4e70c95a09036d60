import { describe, expect, it } from 'vitest';
import { Rng, WideDeepError } from '../../src/core/index.js';
import {
  ROW_OPTIMIZER_DEFAULTS,
  SparseTable,
  createRowOptimizer,
  parseSparseTableConfig,
  type RowOptimizerConfigInput,
} from '../../src/sparse/index.js';

/** One suite every row optimizer must pass. `stateWidth` is what each one documents for its row layout. */
const cases: { config: RowOptimizerConfigInput; stateWidth: (dim: number) => number; rateKey: string }[] = [
  { config: { type: 'ftrl', alpha: 0.1, beta: 1, l1: 0.001, l2: 0.01 }, stateWidth: (d) => 2 * d, rateKey: 'alpha' },
  { config: { type: 'adagrad', lr: 0.05 }, stateWidth: (d) => d, rateKey: 'lr' },
  { config: { type: 'lazy-adam', lr: 0.01 }, stateWidth: (d) => 2 * d, rateKey: 'lr' },
  { config: { type: 'sgd', lr: 0.1, weightDecay: 0.001 }, stateWidth: () => 0, rateKey: 'lr' },
];

function catchError(fn: () => unknown): WideDeepError {
  try {
    fn();
  } catch (e) {
    if (e instanceof WideDeepError) return e;
    throw e;
  }
  throw new Error('expected a WideDeepError');
}

function randomUpdate(rng: Rng, numRows: number, dim: number): { rows: Int32Array; grads: Float32Array } {
  const set = new Set<number>();
  while (set.size < Math.floor(numRows / 3)) set.add(rng.int(numRows));
  const rows = Int32Array.from(set);
  const grads = new Float32Array(rows.length * dim);
  for (let i = 0; i < grads.length; i++) grads[i] = rng.normal() * 0.5;
  return { rows, grads };
}

for (const c of cases) {
  describe(`row optimizer contract: ${c.config.type}`, () => {
    const dim = 5;
    const numRows = 30;
    const make = (config: RowOptimizerConfigInput = c.config): SparseTable =>
      new SparseTable({ name: 'emb', numRows, dim, optimizer: config, init: { type: 'xavier-uniform' } }, new Rng(7));

    it('lays rows out as [w (dim) | state (stateWidth)]', () => {
      const t = make();
      for (const d of [1, 4, 16]) expect(t.optimizer.stateWidth(d)).toBe(c.stateWidth(d));
      expect(t.stride).toBe(dim + c.stateWidth(dim));
      expect(t.data.length).toBe(numRows * t.stride);
    });

    it('leaves untouched rows bit-identical and changes touched ones', () => {
      const t = make();
      const rng = new Rng(3);
      for (let step = 1; step <= 3; step++) {
        const before = new Uint32Array(t.data.slice().buffer);
        const { rows, grads } = randomUpdate(rng, numRows, dim);
        t.optimizer.updateRows(t.data, dim, rows, rows.length, grads, step);
        const after = new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length);
        const touched = new Set(rows);
        for (let r = 0; r < numRows; r++) {
          const a = after.subarray(r * t.stride, (r + 1) * t.stride);
          const b = before.subarray(r * t.stride, (r + 1) * t.stride);
          if (touched.has(r)) expect(Array.from(a.subarray(0, dim))).not.toEqual(Array.from(b.subarray(0, dim)));
          else expect(Array.from(a)).toEqual(Array.from(b));
        }
      }
    });

    it('reads only `count` rows even when the rows buffer is longer', () => {
      const t = make();
      const before = t.data.slice();
      t.optimizer.updateRows(t.data, dim, Int32Array.of(4, 9), 1, new Float32Array(2 * dim).fill(0.3), 1);
      expect(Array.from(t.data.subarray(9 * t.stride, 10 * t.stride))).toEqual(Array.from(before.subarray(9 * t.stride, 10 * t.stride)));
      expect(Array.from(t.data.subarray(4 * t.stride, 4 * t.stride + dim))).not.toEqual(Array.from(before.subarray(4 * t.stride, 4 * t.stride + dim)));
    });

    it('an lr argument equals configuring that base rate', () => {
      const a = make({ ...c.config, [c.rateKey]: 0.037 } as RowOptimizerConfigInput);
      const b = make();
      const rng = new Rng(11);
      for (let step = 1; step <= 3; step++) {
        const { rows, grads } = randomUpdate(rng, numRows, dim);
        a.optimizer.updateRows(a.data, dim, rows, rows.length, grads, step);
        b.optimizer.updateRows(b.data, dim, rows, rows.length, grads, step, 0.037);
      }
      expect(Array.from(b.data)).toEqual(Array.from(a.data));
    });

    it('round-trips its config through JSON, with defaults filled in', () => {
      const opt = createRowOptimizer(c.config);
      const back = createRowOptimizer(JSON.parse(JSON.stringify(opt.config)) as RowOptimizerConfigInput);
      expect(back.config).toEqual(opt.config);
      expect(Object.keys(opt.config).sort()).toEqual(Object.keys(ROW_OPTIMIZER_DEFAULTS[c.config.type]).sort());
      const t = make();
      const cfg = JSON.parse(JSON.stringify(t.config)) as unknown;
      expect(parseSparseTableConfig(cfg)).toEqual(t.config);
      const rebuilt = new SparseTable(parseSparseTableConfig(cfg), new Rng(7));
      expect(Array.from(rebuilt.data)).toEqual(Array.from(t.data));
    });

    it('rejects an unknown key, naming it and the valid keys', () => {
      const e = catchError(() => createRowOptimizer({ ...c.config, learningRate: 0.1 } as unknown as RowOptimizerConfigInput));
      expect(e.code).toBe('CONFIG');
      expect(e.details.field).toBe('optimizer.learningRate');
      expect(e.message).toContain('"learningRate"');
      for (const key of Object.keys(ROW_OPTIMIZER_DEFAULTS[c.config.type])) expect(e.message).toContain(key);
    });

    it('rejects a bad value, naming the key', () => {
      for (const bad of [-1, Number.NaN, '0.1']) {
        const e = catchError(() => createRowOptimizer({ ...c.config, [c.rateKey]: bad } as unknown as RowOptimizerConfigInput));
        expect(e.code).toBe('CONFIG');
        expect(e.details.field).toBe(`optimizer.${c.rateKey}`);
        expect(e.message).toContain(c.rateKey);
      }
    });

    it('rejects a step below 1 and rows outside the table', () => {
      const t = make();
      const g = new Float32Array(dim);
      expect(() => t.optimizer.updateRows(t.data, dim, Int32Array.of(0), 1, g, 0)).toThrow(/step/);
      expect(() => t.optimizer.updateRows(t.data, dim, Int32Array.of(numRows), 1, g, 1)).toThrow(/outside/);
      expect(() => t.optimizer.updateRows(t.data, dim, Int32Array.of(0, 1), 2, g, 1)).toThrow(/grads/);
    });

    it('restores exactly from exportState', () => {
      const t = make();
      const rng = new Rng(5);
      const { rows, grads } = randomUpdate(rng, numRows, dim);
      t.optimizer.updateRows(t.data, dim, rows, rows.length, grads, 1);
      const saved = t.exportState();
      const u = make();
      u.importState(saved);
      const next = randomUpdate(rng, numRows, dim);
      t.optimizer.updateRows(t.data, dim, next.rows, next.rows.length, next.grads, 2);
      u.optimizer.updateRows(u.data, dim, next.rows, next.rows.length, next.grads, 2);
      expect(Array.from(u.data)).toEqual(Array.from(t.data));
    });
  });
}

describe('row optimizer config errors', () => {
  it('an unknown type lists the valid types', () => {
    const e = catchError(() => createRowOptimizer({ type: 'adam' } as unknown as RowOptimizerConfigInput));
    expect(e.code).toBe('CONFIG');
    expect(e.details.field).toBe('optimizer.type');
    expect(e.message).toContain('"adam"');
    for (const t of ['ftrl', 'adagrad', 'lazy-adam', 'sgd']) expect(e.message).toContain(t);
  });

  it('a non-object config is rejected', () => {
    expect(catchError(() => createRowOptimizer('ftrl' as unknown as RowOptimizerConfigInput)).code).toBe('CONFIG');
  });

  it('adagrad with a zero accumulator and zero eps is rejected', () => {
    const e = catchError(() => createRowOptimizer({ type: 'adagrad', initialAccumulator: 0, eps: 0 }));
    expect(e.details.field).toBe('optimizer.eps');
  });

  it('lazy-adam betas must lie in [0, 1)', () => {
    expect(catchError(() => createRowOptimizer({ type: 'lazy-adam', beta2: 1 })).details.field).toBe('optimizer.beta2');
  });
});
