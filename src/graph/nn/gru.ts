import { WideDeepError } from '../../core/errors.js';
import type { Dim, Value } from '../builder.js';
import * as op from '../ops.js';
import type { InitKind, ParamScope } from '../params.js';
import { configObject, expectRank, floatType, initKind, positiveInt, staticDim } from './config.js';

export interface GruConfig {
  /** Hidden size H. */
  readonly hidden: number;
  /** Initializer of both weight matrices (default `xavier_uniform`); biases start at zeros. */
  readonly init?: InitKind;
}

/**
 * A GRU over seq [N, T, E] with mask [N, T] (1 = valid step, 0 = padding), unrolled over the static T;
 * returns the last valid hidden state [N, H] (zeros for a row without valid steps). PyTorch's equations,
 * gates in the order r, z, n:
 *
 *   r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)      z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
 *   n = tanh(W_in x + b_in + r * (W_hn h + b_hn))   h' = (1 - z) * n + z * h,   h0 = 0
 *
 * and a padded step keeps h: h <- m * h' + (1 - m) * h, computed as Where(m > 0.5, h', h), so right- and
 * left-padded sequences both end on their last valid state.
 *
 * Parameters: `<name>.w_ih` [E, 3H] (fans E, 3H), `<name>.w_hh` [H, 3H] (fans H, 3H), `<name>.b_ih` and
 * `<name>.b_hh` [3H]; the columns are the r, z, n blocks (PyTorch's weight_ih_l0 transposed). All steps'
 * input projections are computed up front (one Gemm per gate over [T*N, E]); each step then runs one Gemm
 * per gate of h by that gate's [H, H] block of w_hh, taking the step's input projection as the Gemm's C.
 */
export function gru(scope: ParamScope, name: string, seq: Value, mask: Value, config: GruConfig): Value {
  const c = configObject(config, name, ['hidden', 'init']);
  const hs = positiveInt(c, 'hidden', name);
  const init = initKind(c, name);
  const layer = `gru ${name}`;
  expectRank(seq, 3, layer);
  expectRank(mask, 2, layer);
  const dt = floatType(seq, layer);
  const steps = staticDim(seq, 1, layer);
  const e = staticDim(seq, 2, layer);
  if (mask.dtype !== dt || mask.shape[0] !== seq.shape[0] || mask.shape[1] !== steps) {
    throw new WideDeepError('SHAPE', `${layer}: mask ${mask.name} must be ${dt} [${seq.shape[0]}, ${steps}], got ${mask.dtype} [${mask.shape.join(', ')}]`);
  }
  const g = scope.g;
  const wIh = scope.param(`${name}.w_ih`, [e, 3 * hs], init, { fanIn: e, fanOut: 3 * hs });
  const wHh = scope.param(`${name}.w_hh`, [hs, 3 * hs], init, { fanIn: hs, fanOut: 3 * hs });
  const bIh = scope.param(`${name}.b_ih`, [3 * hs], 'zeros', { fanIn: e, fanOut: 3 * hs });
  const bHh = scope.param(`${name}.b_hh`, [3 * hs], 'zeros', { fanIn: hs, fanOut: 3 * hs });

  // Time-major input projections for all steps at once, one [T*N, E] x [E, H] Gemm per gate, with the
  // biases folded in (b_hh of r and z too; b_hh_n stays inside r * (...)). Splitting [T, N, H] along T
  // copies contiguous blocks, and each step's recurrent Gemm takes its slice as C: no per-step Split.
  const [wIr, wIz, wIn] = op.split(g, wIh, 1, [hs, hs, hs]) as [Value, Value, Value];
  const [wHr, wHz, wHn] = op.split(g, wHh, 1, [hs, hs, hs]) as [Value, Value, Value];
  const [bIr, bIz, bIn] = op.split(g, bIh, 0, [hs, hs, hs]) as [Value, Value, Value];
  const [bHr, bHz, bHn] = op.split(g, bHh, 0, [hs, hs, hs]) as [Value, Value, Value];
  const rows = g.fresh('rows');
  const flat = op.reshape(g, op.transpose(g, seq, [1, 0, 2]), [rows, e]); // [T*N, E], time-major
  const perStep = (w: Value, b: Value): Value[] => {
    const all = op.reshape(g, op.gemm(g, flat, w, b), [steps, seq.shape[0] as Dim, hs]);
    const parts = steps === 1 ? [all] : op.split(g, all, 0, new Array<number>(steps).fill(1));
    return parts.map((v) => op.squeeze(g, v, 0)); // [N, H] each
  };
  const xr = perStep(wIr, op.add(g, bIr, bHr));
  const xz = perStep(wIz, op.add(g, bIz, bHz));
  const xn = perStep(wIn, bIn);
  // A step is valid where mask > 0.5; Where (not a multiply by the mask) keeps h exactly on padded steps
  // and has no gradient towards the mask to compute.
  const valid = op.greater(g, mask, g.scalar(0.5, dt));
  const valids = steps === 1 ? [valid] : op.split(g, valid, 1, new Array<number>(steps).fill(1)); // [N, 1] each
  const zero = g.scalar(0, dt);
  // b_hn broadcast to [N, H] once: per-step Gemms then take a full C, whose gradient needs no reduction.
  const bHnRows = op.expandAs(g, bHn, xn[0] as Value);

  let h: Value | null = null;
  for (let t = 0; t < steps; t++) {
    const at = (xs: Value[]): Value => xs[t] as Value;
    // With h0 = 0 the first step's recurrent terms are just the biases.
    const r = op.sigmoid(g, h ? op.gemm(g, h, wHr, at(xr)) : at(xr));
    const z = op.sigmoid(g, h ? op.gemm(g, h, wHz, at(xz)) : at(xz));
    const n = op.tanh(g, op.add(g, at(xn), op.mul(g, r, h ? op.gemm(g, h, wHn, bHnRows) : bHn)));
    // h' = (1 - z) * n + z * h = n + z * (h - n)
    const next = h ? op.add(g, n, op.mul(g, z, op.sub(g, h, n))) : op.sub(g, n, op.mul(g, z, n));
    h = op.where(g, at(valids), next, h ?? zero);
  }
  return h as Value;
}
