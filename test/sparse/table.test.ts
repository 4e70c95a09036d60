import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rng, WideDeepError } from '../../src/core/index.js';
import { RowSlotMap, SparseTable, parseSparseTableConfig, type InitializerConfig } from '../../src/sparse/index.js';

function weights(t: SparseTable): Float64Array {
  return Float64Array.from(t.exportWeights());
}

function maxAbs(xs: Float64Array): number {
  let m = 0;
  for (const x of xs) m = Math.max(m, Math.abs(x));
  return m;
}

function moments(xs: Float64Array): { mean: number; variance: number } {
  let s = 0;
  for (const x of xs) s += x;
  const mean = s / xs.length;
  let v = 0;
  for (const x of xs) v += (x - mean) ** 2;
  return { mean, variance: v / xs.length };
}

const make = (init: InitializerConfig, seed: number, numRows = 2000, dim = 50): SparseTable =>
  new SparseTable({ name: 'emb', numRows, dim, optimizer: { type: 'adagrad' }, init }, new Rng(seed));

describe('initializers', () => {
  it('are deterministic per seed and differ across seeds', () => {
    for (const type of ['xavier-uniform', 'xavier-normal', 'truncated-normal'] as const) {
      const a = make({ type }, 42, 100, 8);
      const b = make({ type }, 42, 100, 8);
      const c = make({ type }, 43, 100, 8);
      expect(Array.from(a.data)).toEqual(Array.from(b.data));
      expect(Array.from(a.data)).not.toEqual(Array.from(c.data));
    }
  });

  it('xavier-uniform (Glorot over [numRows, dim]) stays within its limit with variance limit^2 / 3', () => {
    const limit = Math.sqrt(6 / (2000 + 50));
    const w = weights(make({ type: 'xavier-uniform' }, 1));
    expect(maxAbs(w)).toBeLessThanOrEqual(Math.fround(limit));
    const { mean, variance } = moments(w);
    expect(Math.abs(mean)).toBeLessThan(0.01 * limit);
    expect(variance / (limit * limit / 3)).toBeGreaterThan(0.97);
    expect(variance / (limit * limit / 3)).toBeLessThan(1.03);
    // uses most of the range
    expect(maxAbs(w)).toBeGreaterThan(0.99 * limit);
  });

  it('xavier-normal has variance 2 / (numRows + dim)', () => {
    const { mean, variance } = moments(weights(make({ type: 'xavier-normal' }, 2)));
    const expected = 2 / 2050;
    expect(Math.abs(mean)).toBeLessThan(0.01 * Math.sqrt(expected));
    expect(variance / expected).toBeGreaterThan(0.97);
    expect(variance / expected).toBeLessThan(1.03);
  });

  it('truncated-normal defaults to stddev 1/sqrt(dim) and stays within 2 stddev', () => {
    for (const [init, stddev] of [
      [{ type: 'truncated-normal' }, 1 / Math.sqrt(50)],
      [{ type: 'truncated-normal', stddev: 0.3 }, 0.3],
    ] as const) {
      const w = weights(make(init, 3));
      expect(maxAbs(w)).toBeLessThanOrEqual(Math.fround(2 * stddev));
      expect(maxAbs(w)).toBeGreaterThan(1.95 * stddev);
      // a N(0, 1) truncated to [-2, 2] has variance 1 - 4 phi(2) / (2 Phi(2) - 1) = 0.7737
      const { variance } = moments(w);
      expect(variance / (stddev * stddev)).toBeGreaterThan(0.75);
      expect(variance / (stddev * stddev)).toBeLessThan(0.8);
    }
  });

  it('zeros needs no generator; the others do', () => {
    const t = new SparseTable({ name: 'wide', numRows: 10, dim: 1, optimizer: { type: 'ftrl' }, init: { type: 'zeros' } });
    expect(Array.from(t.exportWeights())).toEqual(new Array(10).fill(0));
    expect(() => new SparseTable({ name: 'emb', numRows: 10, dim: 2, optimizer: { type: 'sgd' } })).toThrow(/needs a seeded Rng/);
  });

  it('write optimizer state at its initial value (AdaGrad accumulator 0.1)', () => {
    const t = make({ type: 'xavier-uniform' }, 4, 3, 2);
    for (let r = 0; r < 3; r++) expect(Array.from(t.data.subarray(r * 4 + 2, r * 4 + 4))).toEqual([Math.fround(0.1), Math.fround(0.1)]);
  });
});

describe('SparseTable', () => {
  it('reads and writes rows, exports and imports weights and state', () => {
    const t = make({ type: 'xavier-uniform' }, 5, 6, 3);
    t.writeRow(4, [1, 2, 3]);
    expect(Array.from(t.readRow(4))).toEqual([1, 2, 3]);
    const out = new Float32Array(5);
    t.readRow(4, out, 2);
    expect(Array.from(out)).toEqual([0, 0, 1, 2, 3]);
    const w = t.exportWeights();
    expect(Array.from(w.subarray(12, 15))).toEqual([1, 2, 3]);
    expect(Array.from(w.subarray(0, 3))).toEqual(Array.from(t.data.subarray(0, 3)));

    const u = make({ type: 'zeros' }, 6, 6, 3);
    u.importWeights(w);
    expect(Array.from(u.exportWeights())).toEqual(Array.from(w));
    u.data[3 + 1] = 9; // dirty some state; importWeights resets it
    u.importWeights(w);
    expect(u.data[4]).toBe(Math.fround(0.1));

    const v = make({ type: 'zeros' }, 7, 6, 3);
    v.importState(t.exportState());
    expect(Array.from(v.data)).toEqual(Array.from(t.data));
  });

  it('rejects mismatched checkpoints and rows with BUNDLE / SHAPE errors that say what to do', () => {
    const t = make({ type: 'zeros' }, 1, 6, 3);
    try {
      t.importState(new Float32Array(5));
      throw new Error('no error');
    } catch (e) {
      expect(e).toBeInstanceOf(WideDeepError);
      expect((e as WideDeepError).code).toBe('BUNDLE');
      expect((e as WideDeepError).message).toMatch(/same numRows, dim and optimizer/);
    }
    expect(() => t.importWeights(new Float32Array(17))).toThrow(/expected 18 weights/);
    expect(() => t.readRow(6)).toThrow(/row 6 is outside \[0, 6\)/);
    expect(() => t.writeRow(0, [1, 2])).toThrow(/3 weights/);
  });

  it('validates its config, naming the field', () => {
    const bad = (cfg: unknown, field: string): void => {
      try {
        parseSparseTableConfig(cfg);
        throw new Error('no error');
      } catch (e) {
        expect((e as WideDeepError).code).toBe('CONFIG');
        expect((e as WideDeepError).details.field).toBe(field);
      }
    };
    const ok = { name: 'e', numRows: 4, dim: 2, optimizer: { type: 'sgd' } };
    bad({ ...ok, dims: 2 }, 'table.dims');
    bad({ ...ok, numRows: 0 }, 'table(e).numRows');
    bad({ ...ok, dim: 1.5 }, 'table(e).dim');
    bad({ ...ok, optimizer: { type: 'sgd', momentum: 0.9 } }, 'table(e).optimizer.momentum');
    bad({ ...ok, init: { type: 'glorot' } }, 'table(e).init.type');
    bad({ ...ok, init: { type: 'zeros', stddev: 1 } }, 'table(e).init.stddev');
    bad({ ...ok, init: { type: 'truncated-normal', stddev: -1 } }, 'table(e).init.stddev');
    expect(parseSparseTableConfig(ok).init).toEqual({ type: 'xavier-uniform' });
  });
});

describe('RowSlotMap', () => {
  it('assigns dense first-seen slots like a Map, across clears and growth', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.integer({ min: 0, max: 2 ** 31 - 1 }), { maxLength: 300 }), { maxLength: 4 }), (rounds) => {
        const m = new RowSlotMap(2);
        for (const keys of rounds) {
          m.clear();
          const ref = new Map<number, number>();
          for (const k of keys) {
            m.reserve(1);
            if (!ref.has(k)) ref.set(k, ref.size);
            expect(m.slotOf(k)).toBe(ref.get(k));
          }
          expect(m.count).toBe(ref.size);
          expect(Array.from(m.rows.subarray(0, m.count))).toEqual([...ref.keys()]);
          for (const k of keys) expect(m.get(k)).toBe(ref.get(k));
          expect(m.get(-5)).toBe(-1);
        }
      }),
      { numRuns: 100 },
    );
  });
});
