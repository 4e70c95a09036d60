import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rng, WideDeepError, validateSparseBatch, type SparseBatch } from '../../src/core/index.js';
import {
  RowGradients,
  SparseTable,
  featureIndex,
  gatherPooled,
  gatherSequence,
  type PooledSlot,
  type Pooling,
} from '../../src/sparse/index.js';

/** A random SparseBatch over `numFeatures` features with ids in [0, numRows); small id ranges force duplicates. */
function arbBatch(numRows: number, numFeatures: number, maxBag = 4): fc.Arbitrary<SparseBatch> {
  return fc
    .record({
      batchSize: fc.integer({ min: 0, max: 6 }),
      weighted: fc.boolean(),
      seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    })
    .chain(({ batchSize, weighted, seed }) =>
      fc
        .array(fc.array(fc.integer({ min: 0, max: numRows - 1 }), { maxLength: maxBag }), {
          minLength: numFeatures * batchSize,
          maxLength: numFeatures * batchSize,
        })
        .map((bags): SparseBatch => {
          const offsets = new Int32Array(bags.length + 1);
          bags.forEach((bag, i) => (offsets[i + 1] = (offsets[i] as number) + bag.length));
          const ids = Int32Array.from(bags.flat());
          const keys = Array.from({ length: numFeatures }, (_, f) => `f${f}`);
          if (!weighted) return { keys, batchSize, ids, offsets };
          const rng = new Rng(seed);
          const weights = Float32Array.from(ids, () => Math.round(rng.uniform() * 8 - 2) / 4); // includes 0 and negatives
          return { keys, batchSize, ids, offsets, weights };
        }),
    );
}

const bag = (b: SparseBatch, f: number, e: number): number[] => {
  const lo = b.offsets[f * b.batchSize + e] as number;
  return Array.from({ length: (b.offsets[f * b.batchSize + e + 1] as number) - lo }, (_, i) => lo + i);
};

/** Reference pooling in float64 from readRow. */
function refPooled(t: SparseTable, b: SparseBatch, f: number, pooling: Pooling): number[][] {
  return Array.from({ length: b.batchSize }, (_, e) => {
    const acc = new Array<number>(t.dim).fill(0);
    let wsum = 0;
    for (const i of bag(b, f, e)) {
      const w = b.weights?.[i] ?? 1;
      wsum += w;
      const row = t.readRow(b.ids[i] as number);
      for (let k = 0; k < t.dim; k++) acc[k]! += w * row[k]!;
    }
    if (pooling === 'mean') return acc.map((v) => (wsum === 0 ? 0 : v / wsum));
    return acc;
  });
}

/** Reference scatter: a Map from row to its summed gradient, one entry per occurrence. */
function refScatter(t: SparseTable, b: SparseBatch, slots: PooledSlot[], dBlock: Float32Array): Map<number, number[]> {
  const m = new Map<number, number[]>();
  for (const s of slots) {
    for (let e = 0; e < b.batchSize; e++) {
      const positions = bag(b, s.feature, e);
      const wsum = positions.reduce((a, i) => a + (b.weights?.[i] ?? 1), 0);
      for (const i of positions) {
        const w = b.weights?.[i] ?? 1;
        const scale = s.pooling === 'mean' ? (wsum === 0 ? 0 : w / wsum) : w;
        const id = b.ids[i] as number;
        const g = m.get(id) ?? new Array<number>(t.dim).fill(0);
        for (let k = 0; k < t.dim; k++) g[k]! += scale * (dBlock[e * s.width + s.col + k] as number);
        m.set(id, g);
      }
    }
  }
  return m;
}

const poolings = fc.constantFrom<Pooling>('sum', 'mean');

describe('gatherPooled', () => {
  it('equals a reference pooling, for two features side by side in one block', () => {
    fc.assert(
      fc.property(arbBatch(6, 2), fc.integer({ min: 1, max: 4 }), poolings, poolings, fc.integer({ min: 0, max: 1000 }), (batch, dim, p0, p1, seed) => {
        const t0 = new SparseTable({ name: 'a', numRows: 6, dim, optimizer: { type: 'sgd' } }, new Rng(seed));
        const t1 = new SparseTable({ name: 'b', numRows: 6, dim: dim + 1, optimizer: { type: 'adagrad' } }, new Rng(seed + 1));
        const width = 2 * dim + 3; // one spare column at the end
        const out = new Float32Array(batch.batchSize * width).fill(Number.NaN);
        gatherPooled(t0, batch, { feature: 0, pooling: p0, width, col: 0 }, out);
        gatherPooled(t1, batch, { feature: 1, pooling: p1, width, col: dim }, out);
        const r0 = refPooled(t0, batch, 0, p0);
        const r1 = refPooled(t1, batch, 1, p1);
        for (let e = 0; e < batch.batchSize; e++) {
          for (let k = 0; k < dim; k++) expect(out[e * width + k]).toBeCloseTo(r0[e]![k]!, 5);
          for (let k = 0; k <= dim; k++) expect(out[e * width + dim + k]).toBeCloseTo(r1[e]![k]!, 5);
          expect(out[e * width + width - 1]).toBeNaN(); // columns outside the slots are not written
        }
      }),
      { numRuns: 150 },
    );
  });

  it('a dim-1 table (its own loop) pools exactly as column 0 of a wider table holding the same weights', () => {
    fc.assert(
      fc.property(arbBatch(6, 1, 6), poolings, fc.integer({ min: 0, max: 1000 }), (batch, pooling, seed) => {
        const one = new SparseTable({ name: 'w', numRows: 6, dim: 1, optimizer: { type: 'ftrl' } }, new Rng(seed));
        const two = new SparseTable({ name: 'w', numRows: 6, dim: 2, optimizer: { type: 'ftrl' } }, new Rng(seed));
        const rng = new Rng(seed + 1);
        for (let r = 0; r < 6; r++) {
          // Values whose float32 running sum differs from a float64 sum rounded once.
          const w = (rng.uniform() - 0.5) * 2 ** Math.floor(rng.uniform() * 40);
          one.data[r * one.stride] = w;
          two.data[r * two.stride] = w;
          two.data[r * two.stride + 1] = 0;
        }
        const a = new Float32Array(batch.batchSize * 3).fill(Number.NaN);
        const b = new Float32Array(batch.batchSize * 2);
        gatherPooled(one, batch, { feature: 0, pooling, width: 3, col: 1 }, a);
        gatherPooled(two, batch, { feature: 0, pooling, width: 2, col: 0 }, b);
        for (let e = 0; e < batch.batchSize; e++) {
          expect(Object.is(a[e * 3 + 1], b[e * 2]), `example ${e}: ${a[e * 3 + 1]} against ${b[e * 2]}`).toBe(true);
          expect(a[e * 3]).toBeNaN();
          expect(a[e * 3 + 2]).toBeNaN();
        }
        const bad: SparseBatch = { ...batch, ids: batch.ids.map(() => 6) };
        if (batch.ids.length > 0) expect(() => gatherPooled(one, bad, { feature: 0, pooling, width: 3, col: 1 }, a)).toThrow(/outside table w's \[0, 6\)/);
      }),
      { numRuns: 200 },
    );
  });

  it("rows repeating the previous row's bag (a request's user context) get the floats of gathering each row alone", () => {
    const t = new SparseTable({ name: 'apps', numRows: 50, dim: 5, optimizer: { type: 'adagrad' } }, new Rng(3));
    // Bags: a user's installed apps repeated, the same ids with other weights, the same ids in another order,
    // one id, and the first bag again after them.
    const bags = [[7, 3, 41], [7, 3, 41], [7, 3, 41], [7, 3, 41], [3, 7, 41], [3, 7, 41], [9], [7, 3, 41], [7, 3, 41]];
    const weights = [[1, 0.5, 2], [1, 0.5, 2], [1, 0.25, 2], [1, 0.25, 2], [1, 0.5, 2], [1, 0.5, 2], [1], [1, 0.5, 2], [1, 0.5, 2]];
    const batchOf = (rows: number[][], ws?: number[][]): SparseBatch => {
      const offsets = new Int32Array(rows.length + 1);
      rows.forEach((r, i) => (offsets[i + 1] = (offsets[i] as number) + r.length));
      return { keys: ['apps'], batchSize: rows.length, ids: Int32Array.from(rows.flat()), offsets, ...(ws ? { weights: Float32Array.from(ws.flat()) } : {}) };
    };
    for (const weighted of [false, true]) {
      for (const pooling of ['sum', 'mean'] as const) {
        const width = 7;
        const out = new Float32Array(bags.length * width).fill(Number.NaN);
        gatherPooled(t, batchOf(bags, weighted ? weights : undefined), { feature: 0, pooling, width, col: 1 }, out);
        bags.forEach((bag, e) => {
          const alone = new Float32Array(width).fill(Number.NaN);
          gatherPooled(t, batchOf([bag], weighted ? [weights[e]!] : undefined), { feature: 0, pooling, width, col: 1 }, alone);
          for (let k = 0; k < width; k++) expect(Object.is(out[e * width + k], alone[k]), `${pooling}, weighted ${weighted}, row ${e}, column ${k}`).toBe(true);
        });
      }
    }
  });

  it('pools an empty bag to zeros and rejects ids outside the table', () => {
    const t = new SparseTable({ name: 'emb', numRows: 3, dim: 2, optimizer: { type: 'sgd' } }, new Rng(1));
    const batch: SparseBatch = { keys: ['f'], batchSize: 2, ids: Int32Array.of(2), offsets: Int32Array.of(0, 0, 1) };
    const out = new Float32Array(4).fill(7);
    gatherPooled(t, batch, { feature: 0, pooling: 'mean', width: 2, col: 0 }, out);
    expect(Array.from(out.subarray(0, 2))).toEqual([0, 0]);
    const bad: SparseBatch = { ...batch, ids: Int32Array.of(3) };
    expect(() => gatherPooled(t, bad, { feature: 0, pooling: 'sum', width: 2, col: 0 }, out)).toThrow(WideDeepError);
    const neg: SparseBatch = { ...batch, ids: Int32Array.of(-1) };
    expect(() => gatherPooled(t, neg, { feature: 0, pooling: 'sum', width: 2, col: 0 }, out)).toThrow(/outside table emb/);
    expect(() => gatherPooled(t, batch, { feature: 0, pooling: 'sum', width: 2, col: 1 }, out)).toThrow(/do not fit/);
    expect(() => gatherPooled(t, batch, { feature: 0, pooling: 'sum', width: 2, col: 0 }, new Float32Array(3))).toThrow(/needs batchSize/);
    expect(() => gatherPooled(t, batch, { feature: 1, pooling: 'sum', width: 2, col: 0 }, out)).toThrow(/feature index/);
  });
});

describe('RowGradients (dedup + scatter)', () => {
  it('equals a Map-based reference with duplicate ids, two features sharing one table', () => {
    fc.assert(
      fc.property(arbBatch(5, 2), fc.integer({ min: 1, max: 3 }), poolings, poolings, fc.integer({ min: 0, max: 1000 }), (batch, dim, p0, p1, seed) => {
        const t = new SparseTable({ name: 'shared', numRows: 5, dim, optimizer: { type: 'sgd', lr: 0.5 } }, new Rng(seed));
        const width = 2 * dim;
        const slots: PooledSlot[] = [
          { feature: 0, pooling: p0, width, col: 0 },
          { feature: 1, pooling: p1, width, col: dim },
        ];
        const rng = new Rng(seed + 7);
        const dBlock = Float32Array.from({ length: batch.batchSize * width }, () => rng.normal());
        const g = new RowGradients(t, 1); // tiny initial capacity: exercises growth
        for (let rep = 0; rep < 2; rep++) {
          // the second round checks reset() really forgets the first
          g.reset();
          for (const s of slots) g.addPooled(batch, s, dBlock);
        }
        const ref = refScatter(t, batch, slots, dBlock);
        expect(g.count).toBe(ref.size);
        expect(new Set(g.rows)).toEqual(new Set(ref.keys()));
        g.rows.forEach((row, i) => {
          for (let k = 0; k < dim; k++) expect(g.values[i * dim + k]).toBeCloseTo(ref.get(row)![k]!, 4);
        });
        // one SGD update per unique row: w -= 0.5 * summed gradient; untouched rows identical
        const before = t.data.slice();
        g.apply(1);
        for (let r = 0; r < 5; r++) {
          const grad = ref.get(r);
          for (let k = 0; k < dim; k++) {
            if (grad === undefined) expect(t.data[r * dim + k]).toBe(before[r * dim + k]);
            else expect(t.data[r * dim + k]).toBeCloseTo(before[r * dim + k]! - 0.5 * grad[k]!, 4);
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  it('handles thousands of distinct rows (hash map growth) like the reference', () => {
    const rng = new Rng(9);
    const numRows = 50_000;
    const t = new SparseTable({ name: 'big', numRows, dim: 3, optimizer: { type: 'sgd', lr: 1 } }, rng.fork('t'));
    const B = 3000;
    const ids = Int32Array.from({ length: B }, () => rng.int(numRows / 10) * 10);
    const batch: SparseBatch = { keys: ['f'], batchSize: B, ids, offsets: Int32Array.from({ length: B + 1 }, (_, i) => i) };
    const slot: PooledSlot = { feature: 0, pooling: 'sum', width: 3, col: 0 };
    const dBlock = Float32Array.from({ length: B * 3 }, () => rng.normal());
    const g = new RowGradients(t, 4);
    g.addPooled(batch, slot, dBlock);
    const ref = refScatter(t, batch, [slot], dBlock);
    expect(g.count).toBe(ref.size);
    g.rows.forEach((row, i) => expect(g.values[i * 3]).toBeCloseTo(ref.get(row)![0]!, 4));
  });
});

describe('gatherSequence', () => {
  it('equals a reference [B, T, dim] with right padding, last-T truncation and a mask; its scatter matches', () => {
    fc.assert(
      fc.property(arbBatch(7, 1, 6), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 3 }), (batch, T, dim) => {
        const t = new SparseTable({ name: 'items', numRows: 7, dim, optimizer: { type: 'sgd' } }, new Rng(T));
        const out = new Float32Array(batch.batchSize * T * dim).fill(Number.NaN);
        const mask = new Float32Array(batch.batchSize * T).fill(Number.NaN);
        gatherSequence(t, batch, { feature: 0, maxLen: T }, out, mask);
        const ref = new Map<number, number[]>();
        const rng = new Rng(dim);
        const dOut = Float32Array.from(out, () => rng.normal());
        for (let e = 0; e < batch.batchSize; e++) {
          const kept = bag(batch, 0, e).slice(-T);
          for (let p = 0; p < T; p++) {
            const pos = kept[p];
            expect(mask[e * T + p]).toBe(pos === undefined ? 0 : 1);
            const row = pos === undefined ? new Float32Array(dim) : t.readRow(batch.ids[pos] as number);
            for (let k = 0; k < dim; k++) expect(out[(e * T + p) * dim + k]).toBe(row[k]);
            if (pos !== undefined) {
              const id = batch.ids[pos] as number;
              const g = ref.get(id) ?? new Array<number>(dim).fill(0);
              for (let k = 0; k < dim; k++) g[k]! += dOut[(e * T + p) * dim + k]!;
              ref.set(id, g);
            }
          }
        }
        const g = new RowGradients(t, 1);
        g.addSequence(batch, { feature: 0, maxLen: T }, dOut);
        expect(g.count).toBe(ref.size);
        g.rows.forEach((row, i) => {
          for (let k = 0; k < dim; k++) expect(g.values[i * dim + k]).toBeCloseTo(ref.get(row)![k]!, 4);
        });
      }),
      { numRuns: 100 },
    );
  });
});

describe('SparseBatch boundary checks', () => {
  it('validateSparseBatch accepts generated batches and rejects broken offsets', () => {
    fc.assert(
      fc.property(arbBatch(5, 2), fc.nat(), fc.constantFrom('first', 'last', 'decrease', 'length'), (batch, at, how) => {
        validateSparseBatch(batch, { f0: 5, f1: 5 });
        const offsets = Int32Array.from(batch.offsets);
        let broken = offsets;
        if (how === 'first') offsets[0] = 1;
        if (how === 'last') offsets[offsets.length - 1] = batch.ids.length + 1;
        if (how === 'length') broken = offsets.subarray(0, offsets.length - 1);
        if (how === 'decrease') {
          if (offsets.length < 3) return;
          const i = 1 + (at % (offsets.length - 2));
          offsets[i] = (offsets[i - 1] as number) - 1;
        }
        expect(() => validateSparseBatch({ ...batch, offsets: broken })).toThrow(WideDeepError);
      }),
      { numRuns: 200 },
    );
  });

  it('validateSparseBatch rejects ids outside a table size', () => {
    const batch: SparseBatch = { keys: ['f'], batchSize: 1, ids: Int32Array.of(5), offsets: Int32Array.of(0, 1) };
    expect(() => validateSparseBatch(batch, { f: 5 })).toThrow(/outside/);
  });

  it('featureIndex names a missing key', () => {
    const batch: SparseBatch = { keys: ['a', 'b'], batchSize: 0, ids: new Int32Array(0), offsets: Int32Array.of(0) };
    expect(featureIndex(batch, 'b')).toBe(1);
    expect(() => featureIndex(batch, 'c')).toThrow(/feature c is not in the batch \(keys: a, b\)/);
  });
});
