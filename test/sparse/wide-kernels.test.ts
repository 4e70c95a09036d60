import { describe, expect, it } from 'vitest';
import { Rng, type SparseBatch } from '../../src/core/index.js';
import { type RowOptimizerConfigInput, WideLinear } from '../../src/sparse/index.js';
import { kernelMemoryOf } from '../../src/sparse/simd/kernels.js';

const FEATURES = [
  { key: 'a', size: 50 },
  { key: 'b', size: 7 },
  { key: 'c', size: 300 },
];

/** The wide part twice: its table in a kernel memory (the wide kernels) and in a plain Float32Array (the JavaScript loops). */
function twins(optimizer: RowOptimizerConfigInput): { simd: WideLinear; js: WideLinear } {
  const simd = new WideLinear({ features: FEATURES, optimizer });
  const js = new WideLinear({ features: FEATURES, optimizer }, (n) => new Float32Array(n));
  expect(kernelMemoryOf(simd.table.data)).toBeDefined();
  expect(kernelMemoryOf(js.table.data)).toBeUndefined();
  return { simd, js };
}

function bits(a: Float32Array): number[] {
  return Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
}

/**
 * A batch whose keys are not in the config's order and include one the wide part does not read: bags of 0 to
 * 3 ids (one id in most), ids drawn so that they repeat within and across examples.
 */
function batchOf(n: number, rng: Rng, weighted = false): SparseBatch {
  const keys = ['x', 'c', 'a', 'b'];
  const sizes = [1000, 300, 50, 7];
  const ids: number[] = [];
  const offsets = [0];
  for (const size of sizes) {
    for (let b = 0; b < n; b++) {
      const u = rng.uniform();
      const len = u < 0.1 ? 0 : u < 0.8 ? 1 : 2 + rng.int(2);
      for (let i = 0; i < len; i++) ids.push(rng.int(size));
      offsets.push(ids.length);
    }
  }
  const batch: SparseBatch = { keys, batchSize: n, ids: Int32Array.from(ids), offsets: Int32Array.from(offsets) };
  return weighted ? { ...batch, weights: Float32Array.from(ids, () => rng.uniform() * 2) } : batch;
}

/** Sets a few weights to -0 (a sum from 0 turns them into +0) and the rest to values of mixed signs and scales. */
function seedWeights(w: WideLinear, rng: Rng): void {
  const { data, stride, numRows } = w.table;
  for (let r = 0; r < numRows; r++) data[r * stride] = r % 17 === 0 ? -0 : rng.normal() * (r % 5 === 0 ? 1e-3 : 1);
}

function errorOf(f: () => void): string {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  return 'no error';
}

describe('the wide part by the WebAssembly kernels (wideAdd, wideScatter)', () => {
  for (const optimizer of [
    { type: 'adagrad', lr: 0.1 },
    { type: 'adagrad', lr: 0.05, initialAccumulator: 0.01, weightDecay: 0.02 },
    { type: 'ftrl', alpha: 0.1, l1: 0.01, l2: 0.1 },
    { type: 'lazy-adam', lr: 0.01 },
    { type: 'sgd', lr: 0.1 },
  ] as RowOptimizerConfigInput[]) {
    it(`${JSON.stringify(optimizer)}: the same logits, rows in the same order, sums and weights as the JavaScript loops, bit for bit`, () => {
      const { simd, js } = twins(optimizer);
      const rng = new Rng(7);
      const seed = new Rng(3);
      seedWeights(simd, seed);
      seedWeights(js, new Rng(3));
      for (let step = 1; step <= 6; step++) {
        const n = step < 4 ? 40 : 400; // a larger batch takes a larger region mid-run
        const batch = batchOf(n, rng);
        const la = new Float32Array(n);
        const lb = new Float32Array(n);
        simd.logits(batch, la);
        js.logits(batch, lb);
        expect(bits(la)).toEqual(bits(lb));
        const d = Float32Array.from({ length: n }, (_, b) => (b % 9 === 0 ? -0 : rng.normal() * (step === 2 ? 1e3 : 0.3)));
        const gs = simd.gradients(batch, d);
        const gj = js.gradients(batch, d);
        expect(kernelMemoryOf(gs.values)).toBeDefined(); // the kernel's sums, in the table's memory
        expect(gs.count).toBe(gj.count);
        expect(Array.from(gs.rows)).toEqual(Array.from(gj.rows));
        expect(bits(gs.values)).toEqual(bits(gj.values));
        gs.apply(step);
        gj.apply(step);
        expect(bits(simd.table.data)).toEqual(bits(js.table.data));
      }
    });
  }

  it('a batch with weights is left to the JavaScript loops, with the same results', () => {
    const { simd, js } = twins({ type: 'adagrad', lr: 0.1 });
    seedWeights(simd, new Rng(2));
    seedWeights(js, new Rng(2));
    const batch = batchOf(30, new Rng(5), true);
    const la = new Float32Array(30);
    const lb = new Float32Array(30);
    simd.logits(batch, la);
    js.logits(batch, lb);
    expect(bits(la)).toEqual(bits(lb));
    const d = Float32Array.from({ length: 30 }, (_, b) => Math.sin(b));
    const gs = simd.gradients(batch, d);
    expect(kernelMemoryOf(gs.values)).toBeUndefined();
    expect(bits(gs.values)).toEqual(bits(js.gradients(batch, d).values));
  });

  it('an id outside its feature (not the first feature, not the first id of its bag): the same error as the JavaScript loops', () => {
    const { simd, js } = twins({ type: 'ftrl', alpha: 0.1 });
    const batch = batchOf(20, new Rng(1));
    // feature 'b' (size 7) is the config's second; give its example 4 a bag [3, 9]
    const fb = 3 * 20;
    const ids = Array.from(batch.ids);
    const offsets = Array.from(batch.offsets);
    const lo = offsets[fb + 4] as number;
    const hi = offsets[fb + 5] as number;
    ids.splice(lo, hi - lo, 3, 9);
    const shift = 2 - (hi - lo);
    for (let i = fb + 5; i < offsets.length; i++) offsets[i] = (offsets[i] as number) + shift;
    const bad: SparseBatch = { ...batch, ids: Int32Array.from(ids), offsets: Int32Array.from(offsets) };
    const out = new Float32Array(20);
    const d = new Float32Array(20).fill(0.5);
    for (const op of [(w: WideLinear) => w.logits(bad, out), (w: WideLinear) => w.gradients(bad, d)]) {
      const message = errorOf(() => op(simd));
      expect(message).toBe(errorOf(() => op(js)));
      expect(message).toContain('id 9 of feature b');
    }
    // and the part goes on with a good batch, as the loops do
    const la = new Float32Array(20);
    const lb = new Float32Array(20);
    simd.gradients(batch, d).apply(1);
    js.gradients(batch, d).apply(1);
    simd.logits(batch, la);
    js.logits(batch, lb);
    expect(bits(la)).toEqual(bits(lb));
  });
});
