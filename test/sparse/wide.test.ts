import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rng, WideDeepError, sparseBatchFromBags, type SparseBatch } from '../../src/core/index.js';
import { WideLinear, type RowOptimizerConfigInput } from '../../src/sparse/index.js';

/** A random wide setup: feature sizes, a batch whose keys include a deep-only feature in between, weights. */
const arbCase = fc
  .record({
    sizes: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 4 }),
    batchSize: fc.integer({ min: 1, max: 5 }),
    weighted: fc.boolean(),
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  })
  .map(({ sizes, batchSize, weighted, seed }) => {
    const rng = new Rng(seed);
    const features = sizes.map((size, j) => ({ key: `w${j}`, size }));
    // batch key order differs from config order and holds an extra feature the wide part ignores
    const bags: Record<string, number[][]> = { deepOnly: Array.from({ length: batchSize }, () => [0]) };
    for (const f of [...features].reverse()) {
      bags[f.key] = Array.from({ length: batchSize }, () => Array.from({ length: rng.int(4) }, () => rng.int(f.size)));
    }
    const base = sparseBatchFromBags(bags);
    const batch: SparseBatch = weighted ? { ...base, weights: Float32Array.from(base.ids, () => rng.normal()) } : base;
    return { features, batch, rng };
  });

/** Reference: the multi-hot input vector x (value per fired id, summed), in config order, dot weights + bias. */
function oneHot(features: { key: string; size: number }[], batch: SparseBatch, e: number): number[] {
  const x: number[] = [];
  for (const f of features) {
    const part = new Array<number>(f.size).fill(0);
    const fi = batch.keys.indexOf(f.key);
    const lo = batch.offsets[fi * batch.batchSize + e] as number;
    const hi = batch.offsets[fi * batch.batchSize + e + 1] as number;
    for (let i = lo; i < hi; i++) part[batch.ids[i] as number]! += batch.weights?.[i] ?? 1;
    x.push(...part);
  }
  return x;
}

function setRandomWeights(wide: WideLinear, rng: Rng): number[] {
  const w: number[] = [];
  for (let r = 0; r <= wide.biasRow; r++) {
    const v = Math.fround(rng.normal());
    wide.table.writeRow(r, [v]);
    w.push(v);
  }
  return w; // last entry is the bias
}

describe('WideLinear', () => {
  it('logits equal one-hot . weights + bias', () => {
    fc.assert(
      fc.property(arbCase, ({ features, batch, rng }) => {
        const wide = new WideLinear({ features });
        const w = setRandomWeights(wide, rng);
        const out = new Float32Array(batch.batchSize + 1).fill(Number.NaN);
        wide.logits(batch, out);
        for (let e = 0; e < batch.batchSize; e++) {
          const x = oneHot(features, batch, e);
          const ref = x.reduce((a, xi, i) => a + xi * w[i]!, w[wide.biasRow]!);
          expect(out[e]).toBeCloseTo(ref, 4);
          const ex = wide.explain(batch, e);
          expect(ex.logit).toBeCloseTo(ref, 4);
          expect(ex.bias).toBe(w[wide.biasRow]);
          expect(ex.terms.reduce((a, t) => a + t.contribution, ex.bias)).toBeCloseTo(ref, 4);
        }
        expect(out[batch.batchSize]).toBeNaN();
      }),
      { numRuns: 150 },
    );
  });

  it('an SGD step moves exactly the fired weights by -lr * sum(dLogit * value), and the bias by -lr * sum(dLogit)', () => {
    fc.assert(
      fc.property(arbCase, ({ features, batch, rng }) => {
        const lr = 0.25;
        const wide = new WideLinear({ features, optimizer: { type: 'sgd', lr } });
        const w = setRandomWeights(wide, rng);
        const dLogits = Float32Array.from({ length: batch.batchSize }, () => rng.normal());
        const grad = new Array<number>(w.length).fill(0);
        for (let e = 0; e < batch.batchSize; e++) {
          oneHot(features, batch, e).forEach((xi, i) => (grad[i]! += dLogits[e]! * xi));
          grad[wide.biasRow]! += dLogits[e]!;
        }
        const fired = new Set<number>();
        for (let e = 0; e < batch.batchSize; e++) {
          for (let i = 0; i < wide.biasRow; i++) if (hasId(features, batch, e, i)) fired.add(i);
        }
        wide.backward(batch, dLogits, 1);
        for (let r = 0; r < w.length; r++) {
          const now = wide.table.data[r] as number;
          if (r === wide.biasRow || fired.has(r)) expect(now).toBeCloseTo(w[r]! - lr * grad[r]!, 4);
          else expect(now).toBe(w[r]);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('trains a separable toy problem with FTRL (default) and keeps never-seen weights at exact zero', () => {
    // feature "a" id 1 means click, id 2 means no click; feature "b" is noise over ids 0..3; id 3 of "a" never occurs
    const wide = new WideLinear({ features: [{ key: 'a', size: 4 }, { key: 'b', size: 4 }], optimizer: { type: 'ftrl', alpha: 0.5, l1: 0.01 } });
    const rng = new Rng(5);
    const logits = new Float32Array(64);
    for (let step = 1; step <= 200; step++) {
      const labels = Array.from({ length: 64 }, () => rng.int(2));
      const batch = sparseBatchFromBags({ a: labels.map((y) => [y === 1 ? 1 : 2]), b: labels.map(() => [rng.int(4)]) });
      wide.logits(batch, logits);
      const d = Float32Array.from(labels, (y, e) => (1 / (1 + Math.exp(-logits[e]!)) - y) / 64);
      wide.backward(batch, d, step);
    }
    const w = (key: string, id: number): number => wide.table.data[((key === 'a' ? 0 : 4) + id) * wide.table.stride] as number;
    expect(w('a', 1)).toBeGreaterThan(1);
    expect(w('a', 2)).toBeLessThan(-1);
    expect(w('a', 3) === 0).toBe(true);
    expect(w('a', 0) === 0).toBe(true);
  });

  it('reports missing keys, ids beyond a feature size, bad configs and short buffers', () => {
    const wide = new WideLinear({ features: [{ key: 'a', size: 3 }] });
    const out = new Float32Array(2);
    expect(() => wide.logits(sparseBatchFromBags({ b: [[0], [1]] }), out)).toThrow(/feature a is not in the batch/);
    const big = sparseBatchFromBags({ a: [[0], [3]] });
    expect(() => wide.logits(big, out)).toThrow(/id 3 of feature a/);
    expect(() => wide.backward(big, out, 1)).toThrow(WideDeepError);
    expect(() => wide.logits(sparseBatchFromBags({ a: [[0], [1]] }), new Float32Array(1))).toThrow(/needs batchSize/);
    expect(() => wide.explain(sparseBatchFromBags({ a: [[0], [1]] }), 2)).toThrow(/example 2/);
    const bad = (cfg: unknown, field: string): void => {
      try {
        new WideLinear(cfg as never);
        throw new Error('no error');
      } catch (e) {
        expect((e as WideDeepError).code).toBe('CONFIG');
        expect((e as WideDeepError).details.field).toBe(field);
      }
    };
    bad({ features: [] }, 'wide.features');
    bad({ features: [{ key: 'a', size: 0 }] }, 'wide.features[0].size');
    bad({ features: [{ key: 'a', size: 2, dim: 1 }] }, 'wide.features[0].dim');
    bad({ features: [{ key: 'a', size: 2 }, { key: 'a', size: 3 }] }, 'wide.features[1].key');
    bad({ features: [{ key: 'a', size: 2 }], optimizer: { type: 'ftrl', lr: 0.1 } }, 'wide.optimizer.lr');
    bad({ features: [{ key: 'a', size: 2 }], bias: 0 }, 'wide.bias');
  });

  it('round-trips its config through JSON', () => {
    const cfg = { features: [{ key: 'a', size: 3 }, { key: 'a_x_b', size: 100 }], optimizer: { type: 'ftrl', l1: 0.1 } as RowOptimizerConfigInput };
    const wide = new WideLinear(cfg);
    const again = new WideLinear(JSON.parse(JSON.stringify(wide.config)) as never);
    expect(again.config).toEqual(wide.config);
    expect(wide.config.optimizer).toMatchObject({ type: 'ftrl', l1: 0.1, alpha: 0.05 });
    expect(wide.table.numRows).toBe(104);
    expect(Array.from(wide.offsets)).toEqual([0, 3]);
  });
});

/** True when example e fired table row i (even with value 0, which still counts as touched). */
function hasId(features: { key: string; size: number }[], batch: SparseBatch, e: number, row: number): boolean {
  let base = 0;
  for (const f of features) {
    if (row < base + f.size) {
      const fi = batch.keys.indexOf(f.key);
      const lo = batch.offsets[fi * batch.batchSize + e] as number;
      const hi = batch.offsets[fi * batch.batchSize + e + 1] as number;
      for (let i = lo; i < hi; i++) if (batch.ids[i] === row - base) return true;
      return false;
    }
    base += f.size;
  }
  return false;
}
