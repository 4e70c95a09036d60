import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { Graph, type Value } from '../../src/graph/builder.js';
import { encodeModel } from '../../src/graph/encode.js';
import { lossGradient, lossValue, type LossKind } from '../../src/graph/losses.js';
import * as op from '../../src/graph/ops.js';
import { parseDenseOptimizer } from '../../src/graph/optimizers.js';
import { ParamScope } from '../../src/graph/params.js';
import { buildForward, buildTrainStep, gradOf, type ForwardBuilder } from '../../src/graph/train-step.js';
import type { ExecTensor } from '../../src/runtime/executor.js';
import { nodeExecutor } from '../../src/runtime/node.js';
import { StepRunner } from '../../src/runtime/step-runner.js';
import { checkGradients } from '../helpers/fd.js';

const f64 = (data: Float64Array, dims: number[]): ExecTensor => ({ type: 'float64', data, dims });
const rand = (rng: Rng, n: number, scale = 1): Float64Array => Float64Array.from({ length: n }, () => (rng.uniform() * 2 - 1) * scale);

describe('losses', () => {
  const labels01 = (n: number): ExecTensor => f64(Float64Array.from({ length: n }, (_, i) => i % 2), [n, 1]);
  for (const kind of ['bce', 'mse'] as LossKind[]) {
    it(`${kind}: gradient vs finite differences, with and without weights`, async () => {
      const plain = await checkGradients((g, xs) => lossValue(g, kind, xs[0] as Value, xs[1] as Value, null), [
        { shape: [6, 1] },
        { shape: [6, 1], constant: labels01(6) },
      ]);
      expect(plain.maxAbsErr).toBeLessThan(1e-8);
      const weighted = await checkGradients(
        (g, xs) => lossValue(g, kind, xs[0] as Value, xs[1] as Value, xs[2] as Value),
        [{ shape: [6, 1] }, { shape: [6, 1], constant: labels01(6) }, { shape: [6, 1], constant: f64(Float64Array.of(1, 2, 0.5, 0, 3, 1), [6, 1]) }],
      );
      expect(weighted.maxAbsErr).toBeLessThan(1e-8);
    });
  }
  it('softmax_ce: gradient vs finite differences', async () => {
    const onehot = f64(Float64Array.of(1, 0, 0, 0, 0, 1, 0, 1, 0), [3, 3]);
    const r = await checkGradients((g, xs) => lossValue(g, 'softmax_ce', xs[0] as Value, xs[1] as Value, null), [
      { shape: [3, 3] },
      { shape: [3, 3], constant: onehot },
    ]);
    expect(r.maxAbsErr).toBeLessThan(1e-8);
  });

  // The training step back-propagates from lossGradient: each kind's closed form against central finite
  // differences of lossValue, with soft labels, K > 1, weights (one of them 0) and label rows whose mass is not 1.
  const closedForm: [LossKind, number, (rng: Rng, n: number, k: number) => Float64Array][] = [
    ['bce', 3, (rng, n, k) => Float64Array.from({ length: n * k }, () => rng.uniform())],
    ['mse', 2, (rng, n, k) => rand(rng, n * k, 2)],
    ['softmax_ce', 4, (rng, n, k) => Float64Array.from({ length: n * k }, (_, i) => (i % 3 === 0 ? 0 : rng.uniform()))],
  ];
  for (const [kind, k, labelsOf] of closedForm) {
    it(`${kind}: lossGradient is d lossValue / d logits (finite differences), with and without weights`, async () => {
      const n = 5;
      const rng = new Rng(11);
      const logits = rand(rng, n * k, 3);
      const labels = labelsOf(rng, n, k);
      for (const weights of [null, Float64Array.of(1, 2.5, 0, 0.5, 3)]) {
        const g = new Graph();
        const x = g.input('x', 'float64', ['N', k]);
        const y = g.input('y', 'float64', ['N', k]);
        const w = weights ? g.input('w', 'float64', ['N', 1]) : null;
        g.output(lossValue(g, kind, x, y, w), 'loss');
        g.output(lossGradient(g, kind, x, y, w), 'dx');
        const s = await nodeExecutor.createSession(encodeModel(g), { threads: 1 });
        const feeds = (): Record<string, ExecTensor> => ({ x: f64(logits, [n, k]), y: f64(labels, [n, k]), ...(weights ? { w: f64(weights, [n, 1]) } : {}) });
        const dx = (await s.run(feeds(), { dx: null })).dx!.data as Float64Array;
        let worst = 0;
        for (let i = 0; i < logits.length; i++) {
          const o = logits[i]!;
          logits[i] = o + 1e-6;
          const up = (await s.run(feeds(), { loss: null })).loss!.data[0] as number;
          logits[i] = o - 1e-6;
          const down = (await s.run(feeds(), { loss: null })).loss!.data[0] as number;
          logits[i] = o;
          worst = Math.max(worst, Math.abs((up - down) / 2e-6 - dx[i]!));
        }
        expect(worst).toBeLessThan(1e-8);
        // A zero weight zeroes its example's row.
        if (weights) for (let j = 0; j < k; j++) expect(Math.abs(dx[2 * k + j]!)).toBe(0);
        await s.release();
      }
    });
  }

  it('bce is exact and finite for extreme logits', async () => {
    const g = new Graph();
    const x = g.input('x', 'float64', [4, 1]);
    const y = g.input('y', 'float64', [4, 1]);
    g.output(lossValue(g, 'bce', x, y, null), 'loss');
    const s = await nodeExecutor.createSession(encodeModel(g));
    const logits = Float64Array.of(200, -200, 30, -0.5);
    const labels = Float64Array.of(0, 1, 1, 0);
    const r = await s.run({ x: f64(logits, [4, 1]), y: f64(labels, [4, 1]) }, { loss: null });
    // Reference: -[y log p + (1-y) log(1-p)] with log p = -log1p(exp(-x)) computed per branch.
    const ref = [...logits].map((v, i) => {
      const logP = v >= 0 ? -Math.log1p(Math.exp(-v)) : v - Math.log1p(Math.exp(v));
      const log1mP = v >= 0 ? -v - Math.log1p(Math.exp(-v)) : -Math.log1p(Math.exp(v));
      return -((labels[i] as number) * logP + (1 - (labels[i] as number)) * log1mP);
    });
    const mean = ref.reduce((a, b) => a + b, 0) / 4;
    expect((r.loss as ExecTensor).data[0]).toBeCloseTo(mean, 10);
    await s.release();
  });
});

describe('dense optimizer configuration', () => {
  it('rejects an unknown key, naming it', () => {
    expect(() => parseDenseOptimizer({ type: 'adam', lr: 0.1, betta1: 0.9 })).toThrow(/betta1/);
    expect(() => parseDenseOptimizer({ type: 'rmsprop', lr: 0.1 })).toThrow(/optimizer/);
  });
});

/** A small W&D-shaped dense part: emb block + numeric -> Gemm -> ReLU -> Gemm, plus a wide logit input. */
const smallForward: ForwardBuilder = (scope) => {
  const g = scope.g;
  const emb = g.input('emb', scope.dtype, ['N', 4]);
  const num = g.input('num', scope.dtype, ['N', 2]);
  const wide = g.input('wide_logit', scope.dtype, ['N', 1]);
  const x = op.concat(g, [emb, num], 1);
  const w1 = scope.param('w1', [6, 5], 'xavier_uniform', { fanIn: 6, fanOut: 5 });
  const b1 = scope.param('b1', [5], 'zeros', { fanIn: 6, fanOut: 5 });
  const w2 = scope.param('w2', [5, 1], 'xavier_uniform', { fanIn: 5, fanOut: 1 });
  const h = op.relu(g, op.gemm(g, x, w1, b1));
  return op.add(g, op.gemm(g, h, w2, null), wide);
};

describe('training-step graph', () => {
  it('its gradients match finite differences of its own forward graph (float64)', async () => {
    const n = 5;
    const sgd = parseDenseOptimizer({ type: 'sgd', lr: 1 });
    const prog = buildTrainStep({ forward: smallForward, loss: 'bce', optimizers: { deep: sgd }, gradInputs: ['emb', 'wide_logit'], dtype: 'float64' });
    // The loss alone, on the same forward builder.
    const lg = new Graph();
    const scope = new ParamScope(lg, 'float64');
    const logits = smallForward(scope, false);
    const labels = lg.input('labels', 'float64', ['N', 1]);
    lg.output(lossValue(lg, 'bce', logits, labels, null), 'loss');
    const step = await nodeExecutor.createSession(prog.model);
    const lossSess = await nodeExecutor.createSession(encodeModel(lg));
    const rng = new Rng(3);
    const vals: Record<string, Float64Array> = {
      emb: rand(rng, n * 4), num: rand(rng, n * 2), wide_logit: rand(rng, n), labels: Float64Array.from({ length: n }, (_, i) => i % 2),
      w1: rand(rng, 30), b1: rand(rng, 5, 0.1), w2: rand(rng, 5),
    };
    const dims: Record<string, number[]> = { emb: [n, 4], num: [n, 2], wide_logit: [n, 1], labels: [n, 1], w1: [6, 5], b1: [5], w2: [5, 1] };
    const feeds = (): Record<string, ExecTensor> => Object.fromEntries(Object.entries(vals).map(([k, v]) => [k, f64(v, dims[k]!)]));
    const names = ['w1', 'b1', 'w2', 'emb', 'wide_logit'];
    const out = await step.run(feeds(), Object.fromEntries(names.map((k) => [gradOf(k), null])));
    const symbolic = Object.fromEntries(names.map((k) => [k, out[gradOf(k)]!.data as Float64Array]));
    const eps = 1e-6;
    let worst = 0;
    for (const [name, sym] of Object.entries(symbolic)) {
      const x = vals[name]!;
      for (let k = 0; k < x.length; k++) {
        const o = x[k]!;
        x[k] = o + eps;
        const up = (await lossSess.run(feeds(), { loss: null })).loss!.data[0] as number;
        x[k] = o - eps;
        const down = (await lossSess.run(feeds(), { loss: null })).loss!.data[0] as number;
        x[k] = o;
        worst = Math.max(worst, Math.abs((up - down) / (2 * eps) - sym[k]!));
      }
    }
    expect(worst).toBeLessThan(1e-8);
    await step.release();
    await lossSess.release();
  });

  it('StepRunner learns a separable problem; predict() scores with the live weights', async () => {
    const n = 64;
    const adam = parseDenseOptimizer({ type: 'adam', lr: 0.05 });
    const prog = buildTrainStep({ forward: smallForward, loss: 'bce', optimizers: { deep: adam }, gradInputs: ['emb', 'wide_logit'] });
    const fwd = buildForward({ forward: smallForward, loss: 'bce' });
    const runner = await StepRunner.create(prog, fwd, { executor: nodeExecutor, rng: new Rng(11) });
    const rng = new Rng(5);
    const emb = Float32Array.from({ length: n * 4 }, () => rng.uniform() * 2 - 1);
    const num = Float32Array.from({ length: n * 2 }, () => rng.uniform() * 2 - 1);
    const labels = Float32Array.from({ length: n }, (_, i) => ((emb[i * 4]! + num[i * 2]!) > 0 ? 1 : 0));
    const batch = {
      size: n,
      inputs: {
        emb: { type: 'float32' as const, data: emb, dims: [n, 4] },
        num: { type: 'float32' as const, data: num, dims: [n, 2] },
        wide_logit: { type: 'float32' as const, data: new Float32Array(n), dims: [n, 1] },
      },
      labels,
    };
    const first = (await runner.step(batch, { deep: 0.05 })).loss;
    let last = first;
    for (let i = 0; i < 150; i++) last = (await runner.step(batch, { deep: 0.05 })).loss;
    expect(last).toBeLessThan(first * 0.5);
    // predict() scores with the live weights: its logits equal the training graph's logits of a zero-lr step.
    const pred = Float32Array.from((await runner.predict(batch)).logits);
    const s = await runner.step(batch, { deep: 1e-30 });
    for (let i = 0; i < n; i++) expect(pred[i]).toBeCloseTo(s.logits[i]!, 5);
    expect(runner.steps).toBe(152);
    await runner.release();
  });
});

describe('gradient clipping by global norm', () => {
  it('scales the group gradient to clipNorm when larger, leaves it when smaller', async () => {
    const run = async (clipNorm: number): Promise<Float64Array[]> => {
      const sgd = parseDenseOptimizer({ type: 'sgd', lr: 1, clipNorm });
      const prog = buildTrainStep({ forward: smallForward, loss: 'bce', optimizers: { deep: sgd }, dtype: 'float64' });
      const s = await nodeExecutor.createSession(prog.model);
      const rng = new Rng(8);
      const n = 6;
      const vals: Record<string, ExecTensor> = {
        emb: f64(rand(rng, n * 4, 3), [n, 4]), num: f64(rand(rng, n * 2, 3), [n, 2]), wide_logit: f64(new Float64Array(n), [n, 1]),
        labels: f64(Float64Array.from({ length: n }, (_, i) => i % 2), [n, 1]), w1: f64(rand(rng, 30), [6, 5]), b1: f64(rand(rng, 5), [5]),
        w2: f64(rand(rng, 5), [5, 1]),
      };
      const r = await s.run(vals, { [gradOf('w1')]: null, [gradOf('b1')]: null, [gradOf('w2')]: null });
      await s.release();
      return (['w1', 'b1', 'w2'] as const).map((p) => r[gradOf(p)]!.data as Float64Array);
    };
    const norm = (gs: Float64Array[]): number => Math.sqrt(gs.reduce((a, g) => a + g.reduce((b, v) => b + v * v, 0), 0));
    const raw = await run(0);
    const full = norm(raw);
    const clipped = await run(full / 4);
    expect(norm(clipped)).toBeCloseTo(full / 4, 10);
    clipped.forEach((g, k) => g.forEach((v, i) => expect(v).toBeCloseTo(raw[k]![i]! / 4, 10)));
    const loose = await run(full * 2);
    loose.forEach((g, k) => g.forEach((v, i) => expect(v).toBeCloseTo(raw[k]![i]!, 12)));
  });
});
