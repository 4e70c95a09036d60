import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { Graph, type Value } from '../../src/graph/builder.js';
import { encodeModel } from '../../src/graph/encode.js';
import * as op from '../../src/graph/ops.js';
import { type DenseOptimizerConfig, type DenseOptimizerResolved, hyperValuesOf, parseDenseOptimizer, slotsOf } from '../../src/graph/optimizers.js';
import type { ParamSpec } from '../../src/graph/params.js';
import { buildForward, buildTrainStep, type ForwardBuilder, type SlotSpec } from '../../src/graph/train-step.js';
import { DenseState } from '../../src/runtime/dense-state.js';
import { updateDense, updateScalars } from '../../src/runtime/dense-update.js';
import { nodeExecutor } from '../../src/runtime/node.js';
import { DENSE_KERNELS_WASM } from '../../src/runtime/simd/dense-kernels-wasm.js';
import { StepRunner } from '../../src/runtime/step-runner.js';
import { compileKernels, DENSE, moduleText } from '../../scripts/build-kernels.js';

const exact = (x: number): number => x;

/** `steps` updates in float64 (no rounding) from the same gradient sequence. */
function run64(c: DenseOptimizerResolved, p0: Float64Array, gradsSeq: Float64Array[]): Float64Array {
  const p = Float64Array.from(p0);
  const slots = slotsOf(c).map((s) => new Float64Array(p.length).fill(s.init));
  gradsSeq.forEach((g, k) => updateDense(c, updateScalars(c, hyperValuesOf(c, k + 1, c.lr), exact), p, g, slots, exact));
  return p;
}

describe('dense optimizers against steps computed by hand from their update rules (float64)', () => {
  const p0 = Float64Array.of(0.5, -1, 2);
  const gs = [Float64Array.of(0.1, -0.2, 0.3), Float64Array.of(-0.4, 0.1, 0.05), Float64Array.of(0.2, 0.2, -0.1)];

  it('sgd, plain: p -= lr g', () => {
    const got = run64(parseDenseOptimizer({ type: 'sgd', lr: 0.1 }), p0, gs);
    const p = [...p0];
    for (const gr of gs) for (let i = 0; i < 3; i++) p[i] = p[i]! - 0.1 * gr[i]!;
    p.forEach((x, i) => expect(got[i]).toBeCloseTo(x, 14));
  });

  it('sgd with momentum (PyTorch form: v = mu v + g; p -= lr v) and weight decay', () => {
    const got = run64(parseDenseOptimizer({ type: 'sgd', lr: 0.1, momentum: 0.9, weightDecay: 0.01 }), p0, gs);
    const p = [...p0];
    const v = [0, 0, 0];
    for (const gr of gs) {
      for (let i = 0; i < 3; i++) {
        const gi = gr[i]! + 0.01 * p[i]!;
        v[i] = 0.9 * v[i]! + gi;
        p[i] = p[i]! - 0.1 * v[i]!;
      }
    }
    p.forEach((x, i) => expect(got[i]).toBeCloseTo(x, 12));
  });

  it('adagrad (Duchi et al.: a += g^2; p -= lr g / (sqrt(a) + eps), a0 = 0.1)', () => {
    const got = run64(parseDenseOptimizer({ type: 'adagrad', lr: 0.05 }), p0, gs);
    const p = [...p0];
    const a = [0.1, 0.1, 0.1];
    for (const gr of gs) {
      for (let i = 0; i < 3; i++) {
        a[i] = a[i]! + gr[i]! ** 2;
        p[i] = p[i]! - (0.05 * gr[i]!) / (Math.sqrt(a[i]!) + 1e-7);
      }
    }
    p.forEach((x, i) => expect(got[i]).toBeCloseTo(x, 12));
  });

  it('adam (Kingma & Ba with bias correction), with and without weight decay', () => {
    for (const wd of [0, 0.02]) {
      const got = run64(parseDenseOptimizer({ type: 'adam', lr: 0.01, weightDecay: wd }), p0, gs);
      const p = [...p0];
      const m = [0, 0, 0];
      const v = [0, 0, 0];
      gs.forEach((gr, k) => {
        const t = k + 1;
        for (let i = 0; i < 3; i++) {
          const gi = gr[i]! + wd * p[i]!;
          m[i] = 0.9 * m[i]! + 0.1 * gi;
          v[i] = 0.999 * v[i]! + 0.001 * gi ** 2;
          const mh = m[i]! / (1 - 0.9 ** t);
          const vh = v[i]! / (1 - 0.999 ** t);
          p[i] = p[i]! - (0.01 * mh) / (Math.sqrt(vh) + 1e-8);
        }
      });
      p.forEach((x, i) => expect(got[i]).toBeCloseTo(x, 12));
    }
  });
});

const CONFIGS: DenseOptimizerConfig[] = [
  { type: 'sgd', lr: 0.1 },
  { type: 'sgd', lr: 0.05, weightDecay: 0.01 },
  { type: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 0.001 },
  { type: 'adagrad', lr: 0.05 },
  { type: 'adagrad', lr: 0.1, initialAccumulator: 0.01, eps: 1e-6, weightDecay: 0.02 },
  { type: 'adam', lr: 1e-3 },
  { type: 'adam', lr: 0.003, beta1: 0.8, beta2: 0.95, eps: 1e-6, weightDecay: 0.01 },
];

/** Parameters of these sizes in one group (odd sizes leave the kernels a scalar tail). */
function specs(sizes: readonly number[], c: DenseOptimizerResolved): { params: ParamSpec[]; slots: SlotSpec[] } {
  const params = sizes.map((n, k): ParamSpec => ({ name: `w${k}`, shape: [n], init: 'zeros', fanIn: 1, fanOut: 1, group: 'deep' }));
  const slots = params.flatMap((p) => slotsOf(c).map((s) => ({ name: `${p.name}__${s.name}`, param: p.name, shape: p.shape, init: s.init })));
  return { params, slots };
}

function bits(a: Float32Array): number[] {
  return Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
}

/** The same random weights and gradients into a state, step by step (gradient scale varies, one step large). */
function feedStep(state: DenseState, step: number): void {
  for (const [name, g] of state.grads) {
    const rng = new Rng(step * 1000 + name.length + Number(name.slice(1)));
    for (let i = 0; i < g.length; i++) g[i] = rng.normal() * (step === 3 ? 40 : 0.3);
  }
}

describe('DenseState: the SIMD kernels and the JavaScript loops', () => {
  it('the module in src is what wasm/dense-kernels.ts compiles to (npm run build:kernels)', async () => {
    const bytes = await compileKernels(DENSE);
    expect(Buffer.from(bytes).toString('base64')).toBe(DENSE_KERNELS_WASM);
    expect(readFileSync(DENSE.target, 'utf8')).toBe(moduleText(bytes, DENSE));
  }, 60_000);

  for (const config of CONFIGS) {
    it(`${JSON.stringify(config)}: the kernels leave every bit as the JavaScript loops do`, () => {
      const c = parseDenseOptimizer(config);
      const { params, slots } = specs([1, 3, 4, 7, 16, 33, 1001], c);
      const simd = DenseState.create(params, slots, { deep: c });
      const js = DenseState.create(params, slots, { deep: c }, false);
      expect(simd.simd).toBe(true);
      expect(js.simd).toBe(false);
      for (const [name, v] of simd.values) {
        const rng = new Rng(name.length * 7 + v.length);
        v.forEach((_, i) => (v[i] = name.includes('__') ? Math.abs(rng.normal()) * 0.01 : rng.normal()));
        js.values.get(name)!.set(v);
      }
      for (let step = 1; step <= 5; step++) {
        feedStep(simd, step);
        feedStep(js, step);
        const lr = step === 4 ? c.lr * 10 : c.lr;
        simd.apply(step, { deep: lr });
        js.apply(step, { deep: lr });
      }
      for (const [name, v] of simd.values) expect(bits(v), name).toEqual(bits(js.values.get(name)!));
      // And the update did something.
      expect(bits(simd.values.get('w6')!)).not.toEqual(bits(Float32Array.from({ length: 1001 })));
    });
  }

  it('adam and adagrad: bit for bit what ONNX Runtime computes for the same float32 operations in a graph', async () => {
    for (const config of [{ type: 'adam', lr: 0.01, weightDecay: 0.01 }, { type: 'adagrad', lr: 0.05 }] as DenseOptimizerConfig[]) {
      const c = parseDenseOptimizer(config);
      const n = 1003;
      // The rule as a float32 graph, as the training step computed it in-graph before it moved out.
      const g = new Graph();
      const k = (x: number): Value => g.scalar(x, 'float32');
      const p = g.input('p', 'float32', [n]);
      const grad = g.input('g', 'float32', [n]);
      const s0 = g.input('s0', 'float32', [n]);
      const s1 = g.input('s1', 'float32', [n]);
      const lr = g.input('lr', 'float32', []);
      const eps = g.input('eps', 'float32', []);
      const gr = op.add(g, grad, op.mul(g, p, k(c.weightDecay)));
      if (c.type === 'adam') {
        const m = op.add(g, op.mul(g, s0, k(c.beta1)), op.mul(g, gr, k(1 - c.beta1)));
        const v = op.add(g, op.mul(g, s1, k(c.beta2)), op.mul(g, op.mul(g, gr, gr), k(1 - c.beta2)));
        g.output(op.sub(g, p, op.div(g, op.mul(g, m, lr), op.add(g, op.sqrt(g, v), eps))), 'p_next');
        g.output(m, 's0_next');
        g.output(v, 's1_next');
      } else {
        const a = op.add(g, s0, op.mul(g, gr, gr));
        g.output(op.sub(g, p, op.div(g, op.mul(g, gr, lr), op.add(g, op.sqrt(g, a), eps))), 'p_next');
        g.output(a, 's0_next');
        g.output(op.identity(g, s1), 's1_next');
      }
      const session = await nodeExecutor.createSession(encodeModel(g));
      const { params, slots } = specs([n], c);
      const state = DenseState.create(params, slots, { deep: c });
      const rng = new Rng(4);
      const w = state.values.get('w0')!;
      w.forEach((_, i) => (w[i] = rng.normal()));
      let cur: Record<'p' | 's0' | 's1', Float32Array> = { p: Float32Array.from(w), s0: Float32Array.from(state.values.get(slots[0]!.name)!), s1: new Float32Array(n) };
      for (let t = 1; t <= 4; t++) {
        feedStep(state, t);
        const hyper = hyperValuesOf(c, t, c.lr);
        const f32 = (data: Float32Array, dims: number[]) => ({ type: 'float32' as const, data, dims });
        const out = (name: string): Float32Array => r[name]!.data as Float32Array;
        const r = await session.run(
          { p: f32(cur.p, [n]), g: f32(Float32Array.from(state.grads.get('w0')!), [n]), s0: f32(cur.s0, [n]), s1: f32(cur.s1, [n]), lr: f32(Float32Array.of(hyper.lr!), []), eps: f32(Float32Array.of(hyper.eps ?? (c.type === 'adagrad' ? c.eps : 0)), []) },
          { p_next: null, s0_next: null, s1_next: null },
        );
        cur = { p: out('p_next'), s0: out('s0_next'), s1: out('s1_next') };
        state.apply(t, { deep: c.lr });
      }
      expect(bits(w)).toEqual(bits(cur.p));
      expect(bits(state.values.get(slots[0]!.name)!)).toEqual(bits(cur.s0));
      if (c.type === 'adam') expect(bits(state.values.get(slots[1]!.name)!)).toEqual(bits(cur.s1));
      await session.release();
    }
  });

  it('a group without a learning rate is an error naming the group', () => {
    const c = parseDenseOptimizer({ type: 'sgd', lr: 0.1 });
    const { params, slots } = specs([4], c);
    expect(() => DenseState.create(params, slots, { deep: c }).apply(1, { wide: 0.1 })).toThrow(/group deep/);
    expect(() => DenseState.create(params, slots, {})).toThrow(/parameter group deep/);
  });

  it('a learning rate missing for a later group updates nothing, not even the groups before it', () => {
    const c = parseDenseOptimizer({ type: 'adam', lr: 0.1 });
    const params: ParamSpec[] = ['deep', 'head'].map((group, k) => ({ name: `w${k}`, shape: [5], init: 'zeros', fanIn: 1, fanOut: 1, group }));
    const slots = params.flatMap((p) => slotsOf(c).map((s) => ({ name: `${p.name}__${s.name}`, param: p.name, shape: p.shape, init: s.init })));
    for (const kernels of [true, false]) {
      const state = DenseState.create(params, slots, { deep: c, head: c }, kernels);
      for (const g of state.grads.values()) g.fill(0.5);
      const before = new Map([...state.values].map(([k, v]) => [k, bits(v)]));
      expect(() => state.apply(1, { deep: 0.1 })).toThrow(/no learning rate for group head/);
      for (const [k, v] of state.values) expect(bits(v), k).toEqual(before.get(k));
      state.apply(1, { deep: 0.1, head: 0.1 });
      expect(bits(state.values.get('w0')!)).not.toEqual(before.get('w0'));
    }
  });
});

const forward: ForwardBuilder = (scope) => {
  const g = scope.g;
  const x = g.input('x', 'float32', ['N', 6]);
  const w1 = scope.param('w1', [6, 9], 'he_normal', { fanIn: 6, fanOut: 9 });
  const b1 = scope.param('b1', [9], 'zeros', { fanIn: 6, fanOut: 9 });
  const w2 = scope.withGroup('head').param('w2', [9, 1], 'xavier_normal', { fanIn: 9, fanOut: 1 });
  return op.gemm(g, op.relu(g, op.gemm(g, x, w1, b1)), w2, null);
};

describe('StepRunner: the graph computes the gradients, the update follows', () => {
  it('after each step every weight and slot is the previous one updated by the rule from the step\'s gradients, per group', async () => {
    const optimizers = { deep: parseDenseOptimizer({ type: 'adam', lr: 0.02, weightDecay: 0.001, clipNorm: 0.5 }), head: parseDenseOptimizer({ type: 'sgd', lr: 0.1, momentum: 0.5 }) };
    const prog = buildTrainStep({ forward, loss: 'bce', optimizers });
    const runner = await StepRunner.create(prog, buildForward({ forward, loss: 'bce' }), { executor: nodeExecutor, rng: new Rng(3) });
    const rng = new Rng(9);
    const n = 40;
    const x = Float32Array.from({ length: n * 6 }, () => rng.normal());
    const labels = Float32Array.from({ length: n }, (_, i) => (x[i * 6]! > 0 ? 1 : 0));
    const batch = { size: n, inputs: { x: { type: 'float32' as const, data: x, dims: [n, 6] } }, labels };
    const lrs = { deep: 0.02, head: 0.1 };
    const losses: number[] = [];
    for (let t = 1; t <= 20; t++) {
      const before = new Map([...runner.state].map(([k, v]) => [k, Float32Array.from(v)]));
      losses.push((await runner.step(batch, lrs)).loss);
      for (const p of prog.params) {
        const c = optimizers[p.group as 'deep' | 'head'];
        const w = before.get(p.name)!;
        const slots = slotsOf(c).map((s) => before.get(`${p.name}__${s.name}`)!);
        updateDense(c, updateScalars(c, hyperValuesOf(c, t, lrs[p.group as 'deep' | 'head'])), w, runner.paramGrads.get(p.name)!, slots);
        expect(bits(runner.state.get(p.name)!), `${p.name} at step ${t}`).toEqual(bits(w));
        slotsOf(c).forEach((s, k) => expect(bits(runner.state.get(`${p.name}__${s.name}`)!)).toEqual(bits(slots[k]!)));
      }
    }
    expect(prog.params.map((p) => p.group)).toEqual(['deep', 'deep', 'head']);
    // clipNorm bounds the deep group's gradient.
    const norm = Math.hypot(...runner.paramGrads.get('w1')!, ...runner.paramGrads.get('b1')!);
    expect(norm).toBeLessThanOrEqual(0.5 + 1e-6);
    expect(losses[19]).toBeLessThan(losses[0]!);
    expect(runner.steps).toBe(20);
    await runner.release();
  });
});
