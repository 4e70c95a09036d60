import { describe, expect, it } from 'vitest';
import { WideDeepError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/rng.js';
import { type FloatType, Graph, type Value } from '../../src/graph/builder.js';
import { encodeModel } from '../../src/graph/encode.js';
import { type ActivationKind, activation, batchNorm, dropout, fillDropoutMask, gru, linear, mlp } from '../../src/graph/nn.js';
import * as op from '../../src/graph/ops.js';
import { INIT_KINDS, type InitKind, ParamScope, initParam } from '../../src/graph/params.js';
import type { ExecTensor } from '../../src/runtime/executor.js';
import { nodeExecutor } from '../../src/runtime/node.js';
import { checkGradients } from '../helpers/fd.js';
import {
  type Mat,
  activationRef,
  batchNormInferRef,
  batchNormTrainRef,
  gruRef,
  linearRef,
} from '../helpers/nn-reference.js';

type Feed = { data: Float64Array; dims: number[] };

function rand(rng: Rng, n: number, scale = 1): Float64Array {
  return Float64Array.from({ length: n }, () => (rng.uniform() * 2 - 1) * scale);
}

/** Runs g in ONNX Runtime (float64 feeds are cast to the graph's type) and returns the outputs as float64. */
async function run(g: Graph, feeds: Record<string, Feed>, outputs: readonly string[]): Promise<Record<string, Float64Array>> {
  const session = await nodeExecutor.createSession(encodeModel(g), { threads: 1 });
  const ortFeeds: Record<string, ExecTensor> = {};
  for (const v of g.inputs) {
    const f = feeds[v.name];
    if (!f) throw new Error(`test feeds no ${v.name}`);
    ortFeeds[v.name] = v.dtype === 'float32' ? { type: 'float32', data: Float32Array.from(f.data), dims: f.dims } : { type: 'float64', ...f };
  }
  const r = await session.run(ortFeeds, Object.fromEntries(outputs.map((o) => [o, null])));
  await session.release();
  return Object.fromEntries(outputs.map((o) => [o, Float64Array.from(r[o]!.data as Float32Array | Float64Array)]));
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

/** Random feeds for every parameter a scope declared (buffers get positive values). */
function paramFeeds(scope: ParamScope, rng: Rng): Record<string, Feed> {
  const out: Record<string, Feed> = {};
  for (const p of scope.params) out[p.name] = { data: rand(rng, p.shape.reduce((a, b) => a * b, 1)), dims: [...p.shape] };
  for (const b of scope.buffers) {
    const n = b.shape.reduce((a, c) => a * c, 1);
    out[b.name] = { data: b.initValue === 1 ? rand(rng, n).map((v) => 0.5 + Math.abs(v)) : rand(rng, n), dims: [...b.shape] };
  }
  return out;
}

describe('forward values vs a float64 JavaScript reference', () => {
  it('linear with and without bias, float64 and float32', async () => {
    for (const [dtype, tol] of [['float64', 1e-12], ['float32', 1e-5]] as [FloatType, number][]) {
      const g = new Graph();
      const scope = new ParamScope(g, dtype);
      const x = g.input('x', dtype, ['N', 4]);
      g.output(linear(scope, 'fc', x, { units: 5 }), 'y');
      g.output(linear(scope, 'nb', x, { units: 2, bias: false }), 'z');
      expect(scope.params.map((p) => [p.name, p.init, p.fanIn, p.fanOut])).toEqual([
        ['fc.weight', 'xavier_uniform', 4, 5],
        ['fc.bias', 'zeros', 4, 5],
        ['nb.weight', 'xavier_uniform', 4, 2],
      ]);
      const rng = new Rng(3);
      const feeds = { x: { data: rand(rng, 12), dims: [3, 4] }, ...paramFeeds(scope, rng) };
      const r = await run(g, feeds, ['y', 'z']);
      const w = (k: string): Mat => feeds[k as 'x']!.data;
      expect(maxDiff(r.y!, linearRef(w('x'), w('fc.weight'), w('fc.bias'), 3, 4, 5))).toBeLessThan(tol);
      expect(maxDiff(r.z!, linearRef(w('x'), w('nb.weight'), null, 3, 4, 2))).toBeLessThan(tol);
    }
  });

  it('activations', async () => {
    const kinds: ActivationKind[] = ['relu', 'sigmoid', 'tanh', 'linear'];
    const g = new Graph();
    const x = g.input('x', 'float64', ['N', 3]);
    kinds.forEach((k) => g.output(op.identity(g, activation(g, x, k)), k));
    const data = rand(new Rng(4), 12, 3);
    const r = await run(g, { x: { data, dims: [4, 3] } }, kinds);
    for (const k of kinds) expect(maxDiff(r[k]!, activationRef(k, data))).toBeLessThan(1e-12);
  });

  it('batchNorm: training (batch stats, running updates with unbiased var) and inference, symbolic N', async () => {
    for (const [n, momentum] of [[5, 0.9], [1, 0.99]] as const) {
      const g = new Graph();
      const scope = new ParamScope(g, 'float64');
      const x = g.input('x', 'float64', ['N', 3]);
      g.output(batchNorm(scope, 'bn', x, { training: true, momentum }), 'train');
      for (const [k, v] of scope.bufferUpdates) g.output(v, `${k}__next`);
      const inf = new ParamScope(g, 'float64');
      g.output(batchNorm(inf, 'bi', x, { eps: 1e-2 }), 'infer');
      expect(scope.buffers).toEqual([
        { name: 'bn.running_mean', shape: [3], initValue: 0 },
        { name: 'bn.running_var', shape: [3], initValue: 1 },
      ]);
      expect(inf.bufferUpdates.size).toBe(0);
      const rng = new Rng(5);
      const feeds = { x: { data: rand(rng, n * 3, 2), dims: [n, 3] }, ...paramFeeds(scope, rng), ...paramFeeds(inf, rng) };
      const f = (k: string): Mat => feeds[k as 'x']!.data;
      const r = await run(g, feeds, ['train', 'bn.running_mean__next', 'bn.running_var__next', 'infer']);
      const ref = batchNormTrainRef(f('x'), n, 3, f('bn.gamma'), f('bn.beta'), f('bn.running_mean'), f('bn.running_var'), momentum, 1e-3);
      expect(maxDiff(r.train!, ref.y)).toBeLessThan(1e-12);
      expect(maxDiff(r['bn.running_mean__next']!, ref.nextMean)).toBeLessThan(1e-12);
      expect(maxDiff(r['bn.running_var__next']!, ref.nextVar)).toBeLessThan(1e-12);
      const refInf = batchNormInferRef(f('x'), n, 3, f('bi.gamma'), f('bi.beta'), f('bi.running_mean'), f('bi.running_var'), 1e-2);
      expect(maxDiff(r.infer!, refInf)).toBeLessThan(1e-12);
    }
  });

  it('mlp: Linear -> BatchNorm -> activation -> dropout, plus an output layer', async () => {
    const g = new Graph();
    const scope = new ParamScope(g, 'float64');
    const x = g.input('x', 'float64', ['N', 3]);
    const cfg = { hidden: [4, 2], activation: 'tanh', dropout: 0.5, batchNorm: true, outputUnits: 1, training: true } as const;
    const res = mlp(scope, 'deep', x, cfg);
    g.output(res.out, 'y');
    expect(res.out.shape).toEqual(['N', 1]);
    expect(res.dropoutInputs).toEqual([
      { name: 'deep.0.dropout_mask', width: 4, rate: 0.5 },
      { name: 'deep.1.dropout_mask', width: 2, rate: 0.5 },
    ]);
    expect(scope.params.map((p) => p.name)).toEqual([
      'deep.0.weight', 'deep.0.bn.gamma', 'deep.0.bn.beta', 'deep.1.weight', 'deep.1.bn.gamma', 'deep.1.bn.beta', 'deep.out.weight', 'deep.out.bias',
    ]);
    const rng = new Rng(6);
    const n = 6;
    const feeds: Record<string, Feed> = { x: { data: rand(rng, n * 3), dims: [n, 3] }, ...paramFeeds(scope, rng) };
    for (const d of res.dropoutInputs) {
      feeds[d.name] = { data: fillDropoutMask(new Rng(d.width), d.rate, new Float64Array(n * d.width)), dims: [n, d.width] };
    }
    const f = (k: string): Mat => feeds[k]!.data;
    let h = f('x');
    let width = 3;
    cfg.hidden.forEach((units, i) => {
      const p = `deep.${i}`;
      h = linearRef(h, f(`${p}.weight`), null, n, width, units);
      h = batchNormTrainRef(h, n, units, f(`${p}.bn.gamma`), f(`${p}.bn.beta`), f(`${p}.bn.running_mean`), f(`${p}.bn.running_var`), 0.99, 1e-3).y;
      h = activationRef('tanh', h).map((v, k) => v * (f(`${p}.dropout_mask`)[k] as number));
      width = units;
    });
    const ref = linearRef(h, f('deep.out.weight'), f('deep.out.bias'), n, 2, 1);
    expect(maxDiff((await run(g, feeds, ['y'])).y!, ref)).toBeLessThan(1e-12);

    const gi = new Graph();
    const si = new ParamScope(gi, 'float64');
    const inf = mlp(si, 'deep', gi.input('x', 'float64', ['N', 3]), { ...cfg, training: false });
    expect(inf.dropoutInputs).toEqual([]);
    expect(si.params.map((p) => p.name)).toEqual(scope.params.map((p) => p.name));
  });

  const gruCase = (n: number, t: number, e: number, hs: number, dtype: FloatType = 'float64') => {
    const g = new Graph();
    const scope = new ParamScope(g, dtype);
    const seq = g.input('seq', dtype, ['N', t, e]);
    const mask = g.input('mask', dtype, ['N', t]);
    g.output(gru(scope, 'gru', seq, mask, { hidden: hs }), 'h');
    return { g, scope };
  };

  it('gru matches the PyTorch step equations with masking (float64 and float32)', async () => {
    const [n, t, e, hs] = [4, 4, 3, 5];
    const rng = new Rng(7);
    // valid everywhere; right-padded (length 2); left-padded (length 3); nothing valid
    const mask = Float64Array.from([1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0]);
    const seq = rand(rng, n * t * e, 2);
    for (const [dtype, tol] of [['float64', 1e-12], ['float32', 1e-5]] as [FloatType, number][]) {
      const { g, scope } = gruCase(n, t, e, hs, dtype);
      expect(scope.params.map((p) => [p.name, p.shape, p.init])).toEqual([
        ['gru.w_ih', [e, 3 * hs], 'xavier_uniform'],
        ['gru.w_hh', [hs, 3 * hs], 'xavier_uniform'],
        ['gru.b_ih', [3 * hs], 'zeros'],
        ['gru.b_hh', [3 * hs], 'zeros'],
      ]);
      const feeds = { seq: { data: seq, dims: [n, t, e] }, mask: { data: mask, dims: [n, t] }, ...paramFeeds(scope, new Rng(8)) };
      const f = (k: string): Mat => feeds[k as 'seq']!.data;
      const w = { wIh: f('gru.w_ih'), wHh: f('gru.w_hh'), bIh: f('gru.b_ih'), bHh: f('gru.b_hh') };
      const r = await run(g, feeds, ['h']);
      expect(maxDiff(r.h!, gruRef(seq, mask, w, n, t, e, hs))).toBeLessThan(tol);
      expect(maxDiff(r.h!.subarray(3 * hs), new Float64Array(hs))).toBe(0); // no valid step: h stays h0 = 0
    }
  });

  it('gru: a length-2 sequence padded to 4 (right or left) ends where the unpadded one does', async () => {
    const [e, hs] = [3, 4];
    const rng = new Rng(9);
    const short = rand(rng, 2 * e);
    const pad = rand(rng, 2 * e, 5); // garbage in the padded steps must not matter
    const weights = paramFeeds(gruCase(1, 2, e, hs).scope, new Rng(10));
    const runGru = async (t: number, seq: Float64Array, mask: number[]) => {
      const { g } = gruCase(1, t, e, hs);
      const feeds = { seq: { data: seq, dims: [1, t, e] }, mask: { data: Float64Array.from(mask), dims: [1, t] }, ...weights };
      return (await run(g, feeds, ['h'])).h!;
    };
    const unpadded = await runGru(2, short, [1, 1]);
    const right = await runGru(4, Float64Array.from([...short, ...pad]), [1, 1, 0, 0]);
    const left = await runGru(4, Float64Array.from([...pad, ...short]), [0, 0, 1, 1]);
    expect(maxDiff(right, unpadded)).toBeLessThan(1e-14);
    expect(maxDiff(left, unpadded)).toBeLessThan(1e-14);
    expect(maxDiff(unpadded, new Float64Array(hs))).toBeGreaterThan(1e-3);
  });
});

/** A scope whose variance buffers are squared + 0.5 so that random finite-difference inputs stay valid. */
class PositiveVarScope extends ParamScope {
  override buffer(name: string, shape: readonly number[], initValue: number): Value {
    const v = super.buffer(name, shape, initValue);
    return initValue === 1 ? op.add(this.g, op.mul(this.g, v, v), this.g.scalar(0.5, this.dtype)) : v;
  }
}

/** Makes the batch dim symbolic (as in real graphs) and back, so shape-dependent code runs its symbolic path. */
const symbolic = (g: Graph, x: Value): Value => op.reshape(g, x, ['N', ...x.shape.slice(1)]);
const staticBack = (g: Graph, y: Value, n: number): Value => op.reshape(g, y, [n, ...y.shape.slice(1)]);
const f64 = (data: number[], dims: number[]) => ({ shape: dims, constant: { type: 'float64' as const, data: Float64Array.from(data), dims } });

describe('gradients w.r.t. inputs and parameters vs central finite differences (float64)', () => {
  const cases: [string, Parameters<typeof checkGradients>[0], Parameters<typeof checkGradients>[1]][] = [
    ['linear + bias', (_g, [x], s) => linear(s, 'fc', x!, { units: 5 }), [{ shape: [3, 4] }]],
    ['linear no bias -> tanh', (g, [x], s) => activation(g, linear(s, 'fc', x!, { units: 2, bias: false }), 'tanh'), [{ shape: [3, 4] }]],
    ['linear -> sigmoid', (g, [x], s) => activation(g, linear(s, 'fc', x!, { units: 3, init: 'he_normal' }), 'sigmoid'), [{ shape: [2, 4] }]],
    ['dropout', (g, [x, m]) => dropout(g, x!, m!), [{ shape: [3, 4] }, f64([0, 2, 2, 0, 2, 2, 0, 0, 2, 2, 2, 0], [3, 4])]],
    [
      'batchNorm training (symbolic N)',
      (g, [x], s) => staticBack(g, batchNorm(s, 'bn', symbolic(g, x!), { training: true }), 5),
      [{ shape: [5, 3] }],
    ],
    ['batchNorm inference', (g, [x]) => batchNorm(new PositiveVarScope(g, 'float64'), 'bn', x!, { training: false }), [{ shape: [4, 3] }]],
    [
      'mlp tanh + batchNorm + dropout + output layer',
      (g, [x], s) => mlp(s, 'deep', x!, { hidden: [4, 3], activation: 'tanh', batchNorm: true, dropout: 0.2, outputUnits: 1, training: true }).out,
      [{ shape: [5, 3] }],
    ],
    ['mlp sigmoid', (_g, [x], s) => mlp(s, 'deep', x!, { hidden: [3], activation: 'sigmoid' }).out, [{ shape: [3, 2] }]],
    [
      'gru T=4, full / right-padded / left-padded / empty rows (symbolic N)',
      (g, [x, m], s) => staticBack(g, gru(s, 'gru', symbolic(g, x!), symbolic(g, m!), { hidden: 3 }), 4),
      [{ shape: [4, 4, 2] }, f64([1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 0, 1, 1, 0], [4, 4])],
    ],
    ['gru T=1', (_g, [x, m], s) => gru(s, 'gru', x!, m!, { hidden: 2 }), [{ shape: [3, 1, 2] }, f64([1, 0, 1], [3, 1])]],
  ];
  for (const [name, build, inputs] of cases) {
    it(name, async () => {
      const r = await checkGradients(build, inputs, { maxPerInput: 16 });
      expect(r.checked).toBeGreaterThan(0);
      expect(r.maxAbsErr).toBeLessThan(1e-7);
    });
  }
});

describe('initParam', () => {
  const spec = (init: InitKind, fanIn = 200, fanOut = 300) => ({ name: 'w', shape: [fanIn, fanOut], init, fanIn, fanOut, group: 'deep' });
  // variance and bound of each kind for fans (200, 300); truncated_normal redraws outside 2 std (var factor 0.7737)
  const expected: Record<InitKind, { variance: number; bound: number }> = {
    xavier_uniform: { variance: 2 / 500, bound: Math.sqrt(6 / 500) },
    xavier_normal: { variance: 2 / 500, bound: Infinity },
    he_uniform: { variance: 2 / 200, bound: Math.sqrt(6 / 200) },
    he_normal: { variance: 2 / 200, bound: Infinity },
    truncated_normal: { variance: 0.77374 / 200, bound: 2 / Math.sqrt(200) },
    zeros: { variance: 0, bound: 0 },
    ones: { variance: 0, bound: 1 },
  };
  for (const init of INIT_KINDS) {
    it(`${init}: deterministic by seed, right mean, variance and limits`, () => {
      const a = initParam(spec(init), new Rng(11));
      expect(a.length).toBe(60_000);
      expect(initParam(spec(init), new Rng(11))).toEqual(a);
      const other = initParam(spec(init), new Rng(12));
      if (init === 'zeros' || init === 'ones') {
        expect(Array.from(new Set(a))).toEqual([init === 'ones' ? 1 : 0]);
        return;
      }
      expect(other).not.toEqual(a);
      const { variance, bound } = expected[init];
      let sum = 0;
      let sq = 0;
      let maxAbs = 0;
      for (const v of a) {
        sum += v;
        sq += v * v;
        maxAbs = Math.max(maxAbs, Math.abs(v));
      }
      const mean = sum / a.length;
      expect(Math.abs(mean)).toBeLessThan(4 * Math.sqrt(variance / a.length));
      expect(sq / a.length / variance).toBeCloseTo(1, 1);
      expect(maxAbs).toBeLessThanOrEqual(Math.fround(bound) * (1 + 1e-6));
      if (Number.isFinite(bound)) expect(maxAbs).toBeGreaterThan(0.97 * bound);
    });
  }
});

describe('fillDropoutMask', () => {
  it('drops a `rate` fraction, scales the rest by 1 / keep, and is deterministic by seed', () => {
    const a = fillDropoutMask(new Rng(13), 0.3, new Float32Array(20_000));
    expect(fillDropoutMask(new Rng(13), 0.3, new Float32Array(20_000))).toEqual(a);
    expect(new Set(a)).toEqual(new Set([0, Math.fround(1 / 0.7)]));
    const dropped = a.filter((v) => v === 0).length / a.length;
    expect(Math.abs(dropped - 0.3)).toBeLessThan(0.02);
    expect(Array.from(fillDropoutMask(new Rng(13), 0, new Float32Array(3)))).toEqual([1, 1, 1]);
  });

  it('drops exactly the draws below rate * 2^32 of its xorshift32 stream, at rates on both sides of 1/2 and next to 1', () => {
    // The rule written as a plain comparison: the library computes the same test without a branch.
    const reference = (seed: number, rate: number, n: number): Float32Array => {
      const out = new Float32Array(n);
      let x = new Rng(seed).nextU32() | 1;
      for (let i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        out[i] = x >>> 0 < rate * 4294967296 ? 0 : 1 / (1 - rate);
      }
      return out;
    };
    for (const rate of [0.5, 0.1, 0.3, 0.7, 0.25 + 1e-12, 1e-9, 2 ** -32, 1 - 2 ** -31, 1 - 2 ** -34]) {
      expect(fillDropoutMask(new Rng(5), rate, new Float32Array(50_000)), `rate ${rate}`).toEqual(reference(5, rate, 50_000));
    }
    expect(fillDropoutMask(new Rng(5), 1 - 2 ** -34, new Float32Array(10)).every((v) => v === 0)).toBe(true);
  });

  it('rejects a rate outside [0, 1)', () => {
    for (const rate of [1, -0.1, Number.NaN]) expect(() => fillDropoutMask(new Rng(1), rate, new Float32Array(2))).toThrow(WideDeepError);
  });
});

describe('bad configs throw WideDeepError naming the key', () => {
  const setup = () => {
    const g = new Graph();
    return { g, s: new ParamScope(g), x: g.input('x', 'float32', ['N', 3]), seq: g.input('seq', 'float32', ['N', 4, 2]) };
  };
  const throwsAt = (fn: () => unknown, code: string, field: string | undefined, text: string): void => {
    let err: unknown;
    try {
      fn();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(WideDeepError);
    const w = err as WideDeepError;
    expect(w.code).toBe(code);
    expect(w.details.field).toBe(field);
    expect(w.message).toContain(text);
  };
  const bad = (cfg: unknown) => cfg as never;

  it('mlp', () => {
    const { s, x } = setup();
    throwsAt(() => mlp(s, 'deep', x, { hidden: [8, 0] }), 'CONFIG', 'deep.hidden[1]', 'hidden[1] must be an integer >= 1, got 0');
    throwsAt(() => mlp(s, 'deep', x, bad({ hidden: [8], activation: 'gelu' })), 'CONFIG', 'deep.activation', 'activation must be one of relu, sigmoid, tanh, linear');
    throwsAt(() => mlp(s, 'deep', x, bad({ hidden: 8 })), 'CONFIG', 'deep.hidden', 'hidden must be an array');
    throwsAt(() => mlp(s, 'deep', x, { hidden: [8], dropout: 1 }), 'CONFIG', 'deep.dropout', 'dropout must be a rate in [0, 1)');
    throwsAt(() => mlp(s, 'deep', x, bad({ hidden: [8], init: 'orthogonal' })), 'CONFIG', 'deep.init', 'init must be one of');
    throwsAt(() => mlp(s, 'deep', x, bad({ hidden: [8], dropout_rate: 0.1 })), 'CONFIG', 'deep.dropout_rate', 'unknown key "dropout_rate"');
  });

  it('activation, linear, batchNorm, dropout, gru', () => {
    const { g, s, x, seq } = setup();
    throwsAt(() => activation(g, x, bad('gelu')), 'CONFIG', 'activation', 'activation must be one of');
    throwsAt(() => linear(s, 'fc', x, { units: 0 }), 'CONFIG', 'fc.units', 'units must be an integer >= 1');
    throwsAt(() => linear(s, 'fc', x, bad({ units: 2, bias: 1 })), 'CONFIG', 'fc.bias', 'bias must be true or false');
    throwsAt(() => batchNorm(s, 'bn', x, { momentum: 2 }), 'CONFIG', 'bn.momentum', 'momentum must be a number in [0, 1]');
    throwsAt(() => batchNorm(s, 'bn', x, { eps: 0 }), 'CONFIG', 'bn.eps', 'eps must be a number > 0');
    throwsAt(() => gru(s, 'gru', seq, g.input('m', 'float32', ['N', 4]), { hidden: 0 }), 'CONFIG', 'gru.hidden', 'hidden must be an integer >= 1');
    throwsAt(() => gru(s, 'gru2', seq, g.input('m3', 'float32', ['N', 3]), { hidden: 2 }), 'SHAPE', undefined, 'mask m3');
    throwsAt(() => dropout(g, x, g.input('mask', 'float32', ['N', 4])), 'SHAPE', undefined, 'must have the shape of x');
    throwsAt(() => linear(s, 'seq_fc', seq, { units: 2 }), 'SHAPE', undefined, 'must have rank 2');
  });
});
