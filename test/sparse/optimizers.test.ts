import { describe, expect, it } from 'vitest';
import { sparseBatchFromBags } from '../../src/core/index.js';
import { RowGradients, SparseTable, type RowOptimizerConfigInput } from '../../src/sparse/index.js';

/**
 * Every optimizer against its paper's update rule, re-derived here per coordinate in float64. The batch has a
 * duplicated id (row 1 appears in examples 0 and 2), whose gradients must be summed before the one update.
 */

const DIM = 2;
// ids per example; row 1 is duplicated, rows 0 and 3 are never touched
const batch = sparseBatchFromBags({ f: [[1], [2], [1]] });
const slot = { feature: 0, pooling: 'sum', width: DIM, col: 0 } as const;
// d(loss)/d(block) for three steps, [batchSize=3, DIM]
const dBlocks = [
  [0.5, -0.2, 0.1, 0.3, -0.25, 0.05],
  [-0.4, 0.1, 0.2, -0.6, 0.3, 0.2],
  [0.05, 0.7, -0.3, 0.1, 0.15, -0.35],
];
/** Summed gradient per touched row, computed independently of RowGradients. */
function rowGrads(d: readonly number[]): Map<number, number[]> {
  return new Map([
    [1, [(d[0] as number) + (d[4] as number), (d[1] as number) + (d[5] as number)]],
    [2, [d[2] as number, d[3] as number]],
  ]);
}

function makeTable(optimizer: RowOptimizerConfigInput, init: number[][]): SparseTable {
  const t = new SparseTable({ name: 't', numRows: 4, dim: DIM, optimizer, init: { type: 'zeros' } });
  init.forEach((row, r) => t.writeRow(r, row));
  return t;
}

function runSteps(t: SparseTable, lrs: (number | undefined)[] = [], firstStep = 1): Float32Array[] {
  const g = new RowGradients(t);
  const after: Float32Array[] = [];
  dBlocks.forEach((d, s) => {
    g.reset();
    g.addPooled(batch, slot, Float32Array.from(d));
    g.apply(firstStep + s, lrs[s]);
    after.push(t.data.slice());
  });
  return after;
}

const init = [
  [0.11, -0.07],
  [0.2, -0.3],
  [-0.05, 0.4],
  [0.9, -0.9],
];

function expectRowsClose(t: SparseTable, snapshot: Float32Array, expected: Map<number, number[]>, untouched: number[]): void {
  for (const [r, w] of expected) {
    for (let k = 0; k < DIM; k++) expect(snapshot[r * t.stride + k]).toBeCloseTo(w[k] as number, 6);
  }
  for (const r of untouched) {
    for (let k = 0; k < DIM; k++) expect(snapshot[r * t.stride + k]).toBe(Math.fround((init[r] as number[])[k] as number));
  }
}

describe('FTRL-Proximal (McMahan et al. 2013, Algorithm 1)', () => {
  const cfg = { alpha: 0.1, beta: 1, l1: 0.05, l2: 0.5 };

  it('first step from z = n = 0 matches the numbers worked out by hand', () => {
    // one coordinate: w = 0, z = 0, n = 0, g = 0.5, alpha = 0.1, beta = 1, l1 = l2 = 0
    // sigma = (sqrt(0.25) - 0) / 0.1 = 5; z = 0.5 - 5 * 0 = 0.5; n = 0.25
    // w = -(0.5 - 0) / ((1 + 0.5) / 0.1 + 0) = -0.5 / 15 = -1/30
    const t = new SparseTable({ name: 't', numRows: 2, dim: 1, optimizer: { type: 'ftrl', alpha: 0.1, beta: 1 }, init: { type: 'zeros' } });
    t.optimizer.updateRows(t.data, 1, Int32Array.of(1), 1, Float32Array.of(0.5), 1);
    expect(t.data[3]).toBeCloseTo(-1 / 30, 7); // w
    expect(t.data[4]).toBeCloseTo(0.5, 7); // z
    expect(t.data[5]).toBeCloseTo(0.25, 7); // n
    expect([t.data[0], t.data[1], t.data[2]]).toEqual([0, 0, 0]); // row 0 untouched
  });

  it('three steps with a duplicated id match the per-coordinate rule in float64', () => {
    const t = makeTable({ type: 'ftrl', ...cfg }, init);
    const snaps = runSteps(t);
    // reference state per touched row: w starts at the table's weights, z = n = 0
    const st = new Map([1, 2].map((r) => [r, { w: [...(init[r] as number[])], z: [0, 0], n: [0, 0] }]));
    dBlocks.forEach((d, s) => {
      for (const [r, g] of rowGrads(d)) {
        const x = st.get(r)!;
        for (let k = 0; k < DIM; k++) {
          const gk = g[k] as number;
          const sigma = (Math.sqrt(x.n[k]! + gk * gk) - Math.sqrt(x.n[k]!)) / cfg.alpha;
          x.z[k] = x.z[k]! + gk - sigma * x.w[k]!;
          x.n[k] = x.n[k]! + gk * gk;
          const z = x.z[k]!;
          x.w[k] = Math.abs(z) <= cfg.l1 ? 0 : -(z - Math.sign(z) * cfg.l1) / ((cfg.beta + Math.sqrt(x.n[k]!)) / cfg.alpha + cfg.l2);
        }
      }
      expectRowsClose(t, snaps[s]!, new Map([...st].map(([r, x]) => [r, x.w])), [0, 3]);
      for (const [r, x] of st) {
        for (let k = 0; k < DIM; k++) {
          expect(snaps[s]![r * t.stride + DIM + k]).toBeCloseTo(x.z[k]!, 6);
          expect(snaps[s]![r * t.stride + 2 * DIM + k]).toBeCloseTo(x.n[k]!, 6);
        }
      }
    });
  });

  it('L1 gives exact zeros for coordinates whose |z| stays within l1', () => {
    const t = new SparseTable({ name: 't', numRows: 3, dim: 4, optimizer: { type: 'ftrl', alpha: 0.1, l1: 1 }, init: { type: 'zeros' } });
    const grads = Float32Array.of(0.3, -0.2, 5, -4, 1e-4, 0.9, 0.01, -0.99);
    t.optimizer.updateRows(t.data, 4, Int32Array.of(1, 2), 2, grads, 1);
    const w = [...t.readRow(1), ...t.readRow(2)];
    const zeroed = [0, 1, 4, 5, 6, 7];
    for (const i of zeroed) expect(w[i] === 0).toBe(true);
    expect(w[2]).toBeLessThan(0);
    expect(w[3]).toBeGreaterThan(0);
    // |z| = 5 > l1 = 1: w = -(5 - 1) / ((1 + 5) / 0.1) = -4 / 60
    expect(w[2]).toBeCloseTo(-4 / 60, 7);
  });

  it('a schedule lr replaces alpha in both places it appears', () => {
    const a = makeTable({ type: 'ftrl', ...cfg, alpha: 0.3 }, init);
    const b = makeTable({ type: 'ftrl', ...cfg }, init);
    runSteps(a);
    runSteps(b, [0.3, 0.3, 0.3]);
    expect(Array.from(b.data)).toEqual(Array.from(a.data));
  });
});

describe('AdaGrad (Duchi et al. 2011)', () => {
  const cfg = { lr: 0.1, initialAccumulator: 0.1, eps: 1e-7 };

  it('first step matches the numbers worked out by hand', () => {
    // acc = 0.1 + 0.3^2 = 0.19; w = 0.5 - 0.1 * 0.3 / (sqrt(0.19) + 1e-7)
    const t = new SparseTable({ name: 't', numRows: 1, dim: 1, optimizer: { type: 'adagrad', ...cfg }, init: { type: 'zeros' } });
    t.writeRow(0, [0.5]);
    expect(t.data[1]).toBeCloseTo(0.1, 7);
    t.optimizer.updateRows(t.data, 1, Int32Array.of(0), 1, Float32Array.of(0.3), 1);
    expect(t.data[1]).toBeCloseTo(0.19, 7);
    expect(t.data[0]).toBeCloseTo(0.5 - 0.03 / (Math.sqrt(0.19) + 1e-7), 7);
  });

  for (const weightDecay of [0, 0.05]) {
    it(`three steps with a duplicated id match the update rule in float64 (weightDecay ${weightDecay})`, () => {
      const t = makeTable({ type: 'adagrad', ...cfg, weightDecay }, init);
      const snaps = runSteps(t);
      const st = new Map([1, 2].map((r) => [r, { w: [...(init[r] as number[])], acc: [cfg.initialAccumulator, cfg.initialAccumulator] }]));
      dBlocks.forEach((d, s) => {
        for (const [r, grad] of rowGrads(d)) {
          const x = st.get(r)!;
          for (let k = 0; k < DIM; k++) {
            const g = grad[k]! + weightDecay * x.w[k]!; // L2 on the touched row
            x.acc[k] = x.acc[k]! + g * g;
            x.w[k] = x.w[k]! - (cfg.lr * g) / (Math.sqrt(x.acc[k]!) + cfg.eps);
          }
        }
        expectRowsClose(t, snaps[s]!, new Map([...st].map(([r, x]) => [r, x.w])), [0, 3]);
      });
    });
  }
});

describe('Lazy Adam (Kingma & Ba 2015, Algorithm 1, touched rows only)', () => {
  const cfg = { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8 };

  it('the first step moves every touched weight by about lr against the gradient sign', () => {
    // m_hat = g, v_hat = g^2 at t = 1, so the step is lr * g / (|g| + eps)
    const t1 = makeTable({ type: 'lazy-adam', ...cfg }, init);
    const g = new RowGradients(t1);
    g.addPooled(batch, slot, Float32Array.from(dBlocks[0]!));
    g.apply(1);
    const g1 = rowGrads(dBlocks[0]!);
    for (const [r, gr] of g1) {
      for (let k = 0; k < DIM; k++) {
        expect(t1.readRow(r)[k]).toBeCloseTo(init[r]![k]! - cfg.lr * Math.sign(gr[k]!), 6);
      }
    }
  });

  for (const weightDecay of [0, 0.05]) it(`three steps with a duplicated id match the update rule in float64, bias-corrected by the global step (weightDecay ${weightDecay})`, () => {
    const first = 5; // rows are first touched at global step 5: bias correction uses 5, 6, 7
    const t = makeTable({ type: 'lazy-adam', ...cfg, weightDecay }, init);
    const snaps = runSteps(t, [], first);
    const st = new Map([1, 2].map((r) => [r, { w: [...(init[r] as number[])], m: [0, 0], v: [0, 0] }]));
    dBlocks.forEach((d, s) => {
      const step = first + s;
      for (const [r, grad] of rowGrads(d)) {
        const x = st.get(r)!;
        for (let k = 0; k < DIM; k++) {
          const g = grad[k]! + weightDecay * x.w[k]!; // L2 on the touched row
          x.m[k] = cfg.beta1 * x.m[k]! + (1 - cfg.beta1) * g;
          x.v[k] = cfg.beta2 * x.v[k]! + (1 - cfg.beta2) * g * g;
          const mHat = x.m[k]! / (1 - cfg.beta1 ** step);
          const vHat = x.v[k]! / (1 - cfg.beta2 ** step);
          x.w[k] = x.w[k]! - (cfg.lr * mHat) / (Math.sqrt(vHat) + cfg.eps);
        }
      }
      expectRowsClose(t, snaps[s]!, new Map([...st].map(([r, x]) => [r, x.w])), [0, 3]);
      for (const [r, x] of st) {
        for (let k = 0; k < DIM; k++) {
          expect(snaps[s]![r * t.stride + DIM + k]).toBeCloseTo(x.m[k]!, 7);
          expect(snaps[s]![r * t.stride + 2 * DIM + k]).toBeCloseTo(x.v[k]!, 9);
        }
      }
    });
  });

  it('rows skipped by a step keep their moments (no decay while untouched)', () => {
    const t = makeTable({ type: 'lazy-adam', ...cfg }, init);
    const g = new RowGradients(t);
    g.addPooled(batch, slot, Float32Array.from(dBlocks[0]!));
    g.apply(1);
    const row2 = t.data.slice(2 * t.stride, 3 * t.stride);
    g.reset();
    g.addPooled(sparseBatchFromBags({ f: [[1], [1], [3]] }), slot, Float32Array.from(dBlocks[1]!));
    g.apply(2);
    expect(t.data.slice(2 * t.stride, 3 * t.stride)).toEqual(row2);
  });
});

describe('SGD', () => {
  it('three steps with a duplicated id match w -= lr * (g + weightDecay * w)', () => {
    const cfg = { lr: 0.2, weightDecay: 0.01 };
    const t = makeTable({ type: 'sgd', ...cfg }, init);
    const snaps = runSteps(t);
    const st = new Map([1, 2].map((r) => [r, [...(init[r] as number[])]]));
    dBlocks.forEach((d, s) => {
      for (const [r, g] of rowGrads(d)) {
        const w = st.get(r)!;
        for (let k = 0; k < DIM; k++) w[k] = w[k]! - cfg.lr * (g[k]! + cfg.weightDecay * w[k]!);
      }
      expectRowsClose(t, snaps[s]!, st, [0, 3]);
    });
  });

  it('a schedule lr overrides the configured one', () => {
    const t = makeTable({ type: 'sgd', lr: 0.2 }, init);
    t.optimizer.updateRows(t.data, DIM, Int32Array.of(3), 1, Float32Array.of(1, -2), 1, 0.5);
    expect(t.readRow(3)[0]).toBeCloseTo(0.9 - 0.5, 6);
    expect(t.readRow(3)[1]).toBeCloseTo(-0.9 + 1, 6);
  });
});

describe('AdaGrad and lazy Adam compute in float32 (as PyTorch and TensorFlow do)', () => {
  const f = Math.fround;
  const dim = 5; // four lanes of the SIMD kernel and a scalar tail
  const rows = Int32Array.of(2, 0, 3);
  const gradsAt = (step: number) => Float32Array.from({ length: rows.length * dim }, (_, i) => Math.sin(i * 1.7 + step) * 10 ** ((i % 5) - 2));
  const start = (i: number) => f(Math.cos(i) * 0.3);

  /** Three steps by hand, every operation rounded to float32 in the order of the update rule. */
  function byHand(type: 'adagrad' | 'lazy-adam', stride: number): Float32Array {
    const data = Float32Array.from({ length: 4 * stride }, (_, i) => (i % stride < dim ? start(i) : type === 'adagrad' ? f(0.1) : 0));
    const [lr, eps, wd, b1, b2] = [0.05, 1e-8, 0.01, 0.9, 0.999];
    for (let step = 1; step <= 3; step++) {
      const grads = gradsAt(step);
      rows.forEach((r, i) => {
        for (let k = 0; k < dim; k++) {
          const wi = r * stride + k;
          const w = data[wi] as number;
          const g = f((grads[i * dim + k] as number) + f(f(wd) * w));
          if (type === 'adagrad') {
            const acc = f((data[wi + dim] as number) + f(g * g));
            data[wi + dim] = acc;
            data[wi] = f(w - f(f(f(lr) * g) / f(f(Math.sqrt(acc)) + f(eps))));
          } else {
            const stepSize = f(lr / (1 - b1 ** step));
            const invSqrtBc2 = f(1 / Math.sqrt(1 - b2 ** step));
            const m = f(f(f(b1) * (data[wi + dim] as number)) + f(f(1 - b1) * g));
            const v = f(f(f(b2) * (data[wi + 2 * dim] as number)) + f(f(f(1 - b2) * g) * g));
            data[wi + dim] = m;
            data[wi + 2 * dim] = v;
            data[wi] = f(w - f(f(stepSize * m) / f(f(f(Math.sqrt(v)) * invSqrtBc2) + f(eps))));
          }
        }
      });
    }
    return data;
  }

  for (const type of ['adagrad', 'lazy-adam'] as const) {
    for (const storage of ['kernel memory', 'plain array']) {
      it(`${type}, table in a ${storage}: three steps equal the rule in float32, bit for bit`, () => {
        const config = type === 'adagrad' ? { type, lr: 0.05, eps: 1e-8, weightDecay: 0.01, initialAccumulator: 0.1 } : { type, lr: 0.05, eps: 1e-8, weightDecay: 0.01 };
        const t = new SparseTable({ name: 't', numRows: 4, dim, optimizer: config, init: { type: 'zeros' } }, undefined, storage === 'plain array' ? (n) => new Float32Array(n) : undefined);
        for (let i = 0; i < t.data.length; i++) if (i % t.stride < dim) t.data[i] = start(i);
        for (let step = 1; step <= 3; step++) t.optimizer.updateRows(t.data, dim, rows, rows.length, gradsAt(step), step);
        expect(Array.from(t.data)).toEqual(Array.from(byHand(type, t.stride)));
      });
    }
  }
});
