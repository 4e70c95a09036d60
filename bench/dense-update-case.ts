/**
 * The dense optimizers' update (Adam, as the engine cases train the MLP) over the dense parameters of an engine
 * case, three ways in one process: `DenseState.apply` with the WebAssembly SIMD kernels (the library's path),
 * the same with the JavaScript loops (`DenseState.create(..., false)`), and the update as the training graph
 * computed it before it moved out (its float32 element-wise nodes in ONNX Runtime, weights and moments in
 * ping-pong buffers, every output returned by onnxruntime-node). One JSON line: us per step of each (median of the
 * rounds), and whether all three end with the same weights bit for bit.
 *
 *   npx tsx bench/dense-update-case.ts [--case criteo|small] [--steps 50] [--rounds 5]
 */
import { parseArgs } from 'node:util';
import { Rng } from '../src/core/rng.js';
import { Graph, type Value } from '../src/graph/builder.js';
import { encodeModel } from '../src/graph/encode.js';
import * as op from '../src/graph/ops.js';
import { hyperValuesOf, parseDenseOptimizer, slotsOf } from '../src/graph/optimizers.js';
import type { ParamSpec } from '../src/graph/params.js';
import { DenseState } from '../src/runtime/dense-state.js';
import type { ExecTensor } from '../src/runtime/executor.js';
import { nodeExecutor } from '../src/runtime/node.js';
import { CRITEO, OPTIMIZERS, SMALL } from './engine-case.js';

const { values } = parseArgs({ options: { case: { type: 'string', default: 'criteo' }, steps: { type: 'string', default: '50' }, rounds: { type: 'string', default: '5' } } });
const spec = values.case === 'small' ? SMALL : CRITEO;
const steps = Number(values.steps);
const rounds = Number(values.rounds);
const c = parseDenseOptimizer(OPTIMIZERS.deep);

// The MLP's parameters: [in, h] and [h] per layer, then the logit layer.
const widths = [spec.nCat * spec.dim + spec.nNum, ...spec.mlp, 1];
const params: ParamSpec[] = widths.slice(1).flatMap((out, k) => [
  { name: `l${k}.weight`, shape: [widths[k] as number, out], init: 'zeros' as const, fanIn: 1, fanOut: 1, group: 'deep' },
  { name: `l${k}.bias`, shape: [out], init: 'zeros' as const, fanIn: 1, fanOut: 1, group: 'deep' },
]);
const slots = params.flatMap((p) => slotsOf(c).map((s) => ({ name: `${p.name}__${s.name}`, param: p.name, shape: p.shape, init: s.init })));
const total = params.reduce((a, p) => a + p.shape.reduce((x, y) => x * y, 1), 0);

const rng = new Rng(1);
const init = new Map(params.map((p) => [p.name, Float32Array.from({ length: p.shape.reduce((x, y) => x * y, 1) }, () => rng.normal() * 0.05)]));
/** The gradients of step t (the same for every side). */
const gradsOf = (t: number): Map<string, Float32Array> => {
  const r = new Rng(100 + (t % 8));
  return new Map(params.map((p) => [p.name, Float32Array.from(init.get(p.name)!, () => r.normal() * 1e-2)]));
};
const gradSets = Array.from({ length: 8 }, (_, t) => gradsOf(t));

const states = { simd: DenseState.create(params, slots, { deep: c }), js: DenseState.create(params, slots, { deep: c }, false) };
if (!states.simd.simd) throw new Error('the dense kernels are not available here (WebAssembly SIMD)');
for (const s of Object.values(states)) for (const [k, v] of init) s.values.get(k)!.set(v);

// The former in-graph update: Adam's float32 nodes for every parameter in one graph.
const g = new Graph('dense_update');
const lrIn = g.input('lr', 'float32', []);
const epsIn = g.input('eps', 'float32', []);
const k = (x: number): Value => g.scalar(x, 'float32');
for (const p of params) {
  const [w, d, m0, v0] = ['', '__g', '__m', '__v'].map((s) => g.input(`${p.name}${s}`, 'float32', p.shape));
  const m = op.add(g, op.mul(g, m0 as Value, k(c.type === 'adam' ? c.beta1 : 0)), op.mul(g, d as Value, k(c.type === 'adam' ? 1 - c.beta1 : 0)));
  const v = op.add(g, op.mul(g, v0 as Value, k(c.type === 'adam' ? c.beta2 : 0)), op.mul(g, op.mul(g, d as Value, d as Value), k(c.type === 'adam' ? 1 - c.beta2 : 0)));
  g.output(op.sub(g, w as Value, op.div(g, op.mul(g, m, lrIn), op.add(g, op.sqrt(g, v), epsIn))), `${p.name}__next`);
  g.output(m, `${p.name}__m__next`);
  g.output(v, `${p.name}__v__next`);
}
const session = await nodeExecutor.createSession(encodeModel(g, 'dense update'));
const names = params.flatMap((p) => [p.name, `${p.name}__m`, `${p.name}__v`]);
let cur = new Map(names.map((n) => [n, n.includes('__') ? new Float32Array(init.get(n.split('__')[0]!)!.length) : Float32Array.from(init.get(n)!)]));
let nxt = new Map([...cur].map(([n, v]) => [n, new Float32Array(v.length)]));
const shapeOf = new Map(params.map((p) => [p.name, p.shape]));
const dims = (n: string): readonly number[] => shapeOf.get(n.split('__')[0]!)!;
async function graphStep(t: number): Promise<void> {
  const h = hyperValuesOf(c, t, c.lr);
  const grads = gradSets[t % 8]!;
  const feeds: Record<string, ExecTensor> = { lr: { type: 'float32', data: Float32Array.of(h.lr!), dims: [] }, eps: { type: 'float32', data: Float32Array.of(h.eps!), dims: [] } };
  for (const n of names) feeds[n] = { type: 'float32', data: cur.get(n)!, dims: dims(n) };
  for (const p of params) feeds[`${p.name}__g`] = { type: 'float32', data: grads.get(p.name)!, dims: p.shape };
  const fetch: Record<string, ExecTensor> = {};
  for (const n of names) fetch[`${n}__next`] = { type: 'float32', data: nxt.get(n)!, dims: dims(n) };
  await session.run(feeds, fetch);
  [cur, nxt] = [nxt, cur];
}
const times: Record<'simd' | 'js' | 'graph', number[]> = { simd: [], js: [], graph: [] };
/** One round of `steps` steps of one side, from global step `from`; us per step, the gradients' copy in excluded for the states. */
async function round(side: keyof typeof times, from: number): Promise<number> {
  let spent = 0;
  for (let t = from; t < from + steps; t++) {
    if (side === 'graph') {
      const t0 = performance.now();
      await graphStep(t);
      spent += performance.now() - t0;
    } else {
      const s = states[side];
      for (const [n, gr] of gradSets[t % 8]!) s.grads.get(n)!.set(gr);
      const t0 = performance.now();
      s.apply(t, { deep: c.lr });
      spent += performance.now() - t0;
    }
  }
  return (1000 * spent) / steps;
}
// A warm-up round each (steps 1..steps), then the rounds in alternating order; every side makes the same steps.
for (const side of ['simd', 'js', 'graph'] as const) await round(side, 1);
for (let r = 0; r < rounds; r++) {
  const order = (r % 2 === 0 ? ['simd', 'js', 'graph'] : ['graph', 'js', 'simd']) as (keyof typeof times)[];
  for (const side of order) times[side].push(await round(side, 1 + (r + 1) * steps));
}
await session.release();
const median = (a: number[]): number => [...a].sort((x, y) => x - y)[a.length >> 1] as number;
const bits = (a: Float32Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const same = params.every((p) => {
  const w = cur.get(p.name)!;
  return bits(states.simd.values.get(p.name)!).equals(bits(w)) && bits(states.js.values.get(p.name)!).equals(bits(w));
});
process.stdout.write(
  `${JSON.stringify({
    case: `dense_update_${values.case}`,
    optimizer: c.type,
    params: total,
    steps,
    rounds,
    us_per_step: { simd: median(times.simd), js: median(times.js), graph: median(times.graph) },
    same_weights_bit_for_bit: same,
    node: process.version,
  })}\n`,
);
