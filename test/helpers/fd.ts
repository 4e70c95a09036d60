import { Rng } from '../../src/core/rng.js';
import { Graph, type Value } from '../../src/graph/builder.js';
import { gradients } from '../../src/graph/autodiff.js';
import { encodeModel } from '../../src/graph/encode.js';
import * as op from '../../src/graph/ops.js';
import { ParamScope } from '../../src/graph/params.js';
import { nodeExecutor } from '../../src/runtime/node.js';
import type { ExecTensor, Session } from '../../src/runtime/executor.js';

export interface FdInput {
  readonly shape: readonly number[];
  /** Values to use; default uniform in [-1, 1] (kept away from 0 for kinks if `awayFromZero`). */
  readonly data?: Float64Array;
  readonly awayFromZero?: boolean;
  /** Positive values only (for log, sqrt). */
  readonly positive?: boolean;
  /** Not differentiated (e.g. int64 indices): passed as is. */
  readonly constant?: ExecTensor;
}

export interface FdResult {
  readonly maxAbsErr: number;
  readonly maxRelErr: number;
  readonly checked: number;
}

function randomData(rng: Rng, spec: FdInput): Float64Array {
  if (spec.data) return spec.data;
  const n = spec.shape.reduce((a, b) => a * b, 1);
  const d = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let v = rng.uniform() * 2 - 1;
    if (spec.awayFromZero) v = Math.sign(v || 1) * (0.2 + Math.abs(v));
    if (spec.positive) v = 0.2 + Math.abs(v);
    d[i] = v;
  }
  return d;
}

async function runScalar(s: Session, feeds: Record<string, ExecTensor>): Promise<number> {
  const r = await s.run(feeds, { loss: null });
  return (r.loss as ExecTensor).data[0] as number;
}

/**
 * Central finite differences in float64 of `loss = sum(f(inputs) * R)` (R a fixed random projection, so
 * every output element matters) against the symbolic gradient, on up to `maxPerInput` coordinates per input.
 * Graph inputs that `build` declares itself (layer parameters from a ParamScope) get random values and are
 * differentiated too; a ParamScope on float64 is passed in for that.
 */
export async function checkGradients(
  build: (g: Graph, xs: Value[], scope: ParamScope) => Value,
  specs: readonly FdInput[],
  { seed = 1, eps = 1e-6, maxPerInput = 24 } = {},
): Promise<FdResult> {
  const rng = new Rng(seed);
  const make = (withGrad: boolean): { bytes: Uint8Array; diff: Value[]; all: Value[] } => {
    const g = new Graph('fd');
    const xs = specs.map((s, i) =>
      s.constant ? g.input(`x${i}`, s.constant.type, s.constant.dims) : g.input(`x${i}`, 'float64', s.shape),
    );
    const y = build(g, xs, new ParamScope(g, 'float64'));
    const n = y.shape.reduce<number>((a, b) => a * (b as number), 1);
    const r = new Float64Array(n);
    const prng = new Rng(seed + 7);
    for (let i = 0; i < n; i++) r[i] = prng.uniform() * 2 - 1;
    const proj = g.constant(r, y.shape as number[], 'float64');
    const loss = op.reduceSum(g, op.mul(g, y, proj), y.shape.map((_, i) => i), false);
    g.output(loss, 'loss');
    const constNames = new Set(specs.flatMap((s, i) => (s.constant ? [`x${i}`] : [])));
    const diff = g.inputs.filter((v) => !constNames.has(v.name));
    if (withGrad) gradients(g, loss, diff).forEach((d, i) => g.output(d, `d_${diff[i]!.name}`));
    return { bytes: encodeModel(g), diff, all: g.inputs.slice() };
  };
  const fwd = await nodeExecutor.createSession(make(false).bytes, { threads: 1 });
  const model = make(true);
  const bwd = await nodeExecutor.createSession(model.bytes, { threads: 1 });
  const values = new Map<string, ExecTensor>();
  for (const v of model.all) {
    const i = v.name.startsWith('x') ? Number(v.name.slice(1)) : -1;
    const spec: FdInput = specs[i] ?? { shape: v.shape as number[] };
    values.set(v.name, spec.constant ?? { type: 'float64', data: randomData(rng, spec), dims: v.shape as number[] });
  }
  const feeds = (): Record<string, ExecTensor> => Object.fromEntries(values);
  const fetch: Record<string, null> = {};
  for (const v of model.diff) fetch[`d_${v.name}`] = null;
  const sym = await bwd.run(feeds(), fetch);
  let maxAbsErr = 0;
  let maxRelErr = 0;
  let checked = 0;
  for (const v of model.diff) {
    const x = values.get(v.name)!.data as Float64Array;
    const gSym = sym[`d_${v.name}`]!.data as Float64Array;
    const picks = x.length <= maxPerInput ? [...x.keys()] : Array.from({ length: maxPerInput }, () => rng.int(x.length));
    for (const k of picks) {
      const orig = x[k]!;
      x[k] = orig + eps;
      const up = await runScalar(fwd, feeds());
      x[k] = orig - eps;
      const down = await runScalar(fwd, feeds());
      x[k] = orig;
      const num = (up - down) / (2 * eps);
      const err = Math.abs(num - gSym[k]!);
      maxAbsErr = Math.max(maxAbsErr, err);
      maxRelErr = Math.max(maxRelErr, err / Math.max(1e-3, Math.abs(num)));
      checked++;
    }
  }
  await fwd.release();
  await bwd.release();
  return { maxAbsErr, maxRelErr, checked };
}
