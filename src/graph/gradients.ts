import { WideDeepError } from '../core/errors.js';
import type { Attr, Dim, Graph, Node, Shape, Value } from './builder.js';
import * as op from './ops.js';

/**
 * One gradient rule per primitive op. A rule gets the forward node and the gradients of its outputs
 * (`null` where an output receives none) and returns the gradient of each input (`null` where the input is
 * not differentiable). Rules only emit ops from ops.ts, so gradients of gradients are possible.
 */
export type GradRule = (g: Graph, node: Node, dys: readonly (Value | null)[]) => (Value | null)[];

function input(node: Node, i: number): Value {
  const v = node.inputs[i];
  if (!v) throw new WideDeepError('GRAPH', `${node.opType} has no input ${i}`);
  return v;
}

function out(node: Node, i = 0): Value {
  return node.outputs[i] as Value;
}

function dyOf(g: Graph, node: Node, dys: readonly (Value | null)[], i = 0): Value {
  return dys[i] ?? op.zerosLike(g, out(node, i));
}

function ftype(v: Value): 'float32' | 'float64' {
  return v.dtype === 'float64' ? 'float64' : 'float32';
}

function intAttr(node: Node, name: string, dflt: number): number {
  const a: Attr | undefined = node.attrs[name];
  return a && 'i' in a ? a.i : dflt;
}

function floatAttr(node: Node, name: string, dflt: number): number {
  const a: Attr | undefined = node.attrs[name];
  return a && 'f' in a ? a.f : dflt;
}

/** The values of an int64 constant input (axes, sizes, starts). */
function constInts(g: Graph, v: Value): number[] {
  const init = g.initializers.find((i) => i.value === v);
  if (!init || !(init.data instanceof BigInt64Array)) {
    throw new WideDeepError('GRAPH', `${v.name} must be an int64 constant to differentiate through it`);
  }
  return Array.from(init.data, Number);
}

/** Sums a broadcast gradient back down to `shape` (undoes numpy broadcasting). */
export function sumTo(g: Graph, dy: Value, shape: Shape): Value {
  let r = dy;
  const lead = r.shape.length - shape.length;
  if (lead > 0) r = op.reduceSum(g, r, Array.from({ length: lead }, (_, i) => i), false);
  const axes: number[] = [];
  shape.forEach((d, i) => {
    if (d === 1 && r.shape[i] !== 1) axes.push(i);
  });
  if (axes.length > 0) r = op.reduceSum(g, r, axes, true);
  return r;
}

const linear = (fa: number, fb: number): GradRule => (g, n, dys) => {
  const dy = dyOf(g, n, dys);
  const a = input(n, 0);
  const b = input(n, 1);
  const db = fb < 0 ? op.neg(g, dy) : dy;
  return [fa !== 0 ? sumTo(g, dy, a.shape) : null, sumTo(g, db, b.shape)];
};

function unaryRule(f: (g: Graph, x: Value, y: Value, dy: Value) => Value): GradRule {
  return (g, n, dys) => [f(g, input(n, 0), out(n), dyOf(g, n, dys))];
}

function reduceBack(g: Graph, n: Node, axes: readonly number[], dy: Value): Value {
  const x = input(n, 0);
  let d = dy;
  if (intAttr(n, 'keepdims', 1) === 0) {
    const rank = x.shape.length;
    const norm = [...axes].map((a) => (a < 0 ? a + rank : a)).sort((p, q) => p - q);
    for (const a of norm) d = op.unsqueeze(g, d, a);
  }
  return op.expandAs(g, d, x);
}

/** Number of elements reduced, at run time (works with symbolic dims). */
function reducedCount(g: Graph, x: Value, axes: readonly number[]): Value {
  const dims: Dim[] = axes.map((a) => x.shape[a < 0 ? a + x.shape.length : a] as Dim);
  if (dims.every((d) => typeof d === 'number')) {
    return g.scalar((dims as number[]).reduce((p, q) => p * q, 1), ftype(x));
  }
  const picked = op.gather(g, op.shapeOf(g, x), g.int64s(axes));
  const asFloat = op.cast(g, picked, ftype(x));
  return g.node('ReduceProd', [asFloat], [{ dtype: ftype(x), shape: [] }], { keepdims: { i: 0 } })[0] as Value;
}

function transposed2(g: Graph, n: Node, dys: readonly (Value | null)[]): (Value | null)[] {
  const dy = dyOf(g, n, dys);
  const a = input(n, 0);
  const b = input(n, 1);
  if (a.shape.length === 2) {
    return [op.gemm(g, dy, b, null, { transB: true }), op.gemm(g, a, dy, null, { transA: true })];
  }
  const k = a.shape[a.shape.length - 1] as Dim;
  const nOut = b.shape[1] as Dim;
  const da = op.matmul(g, dy, op.transpose(g, b));
  const rows = g.fresh('rows');
  const flatA = op.reshape(g, a, [rows, k]);
  const flatDy = op.reshape(g, dy, [rows, nOut]);
  return [da, op.gemm(g, flatA, flatDy, null, { transA: true })];
}

const none: GradRule = (_g, n) => n.inputs.map(() => null);

/** Max / Min: the gradient goes to the input that was picked (`wins(a, b)`), ties to b. */
function pick(wins: (g: Graph, a: Value, b: Value) => Value): GradRule {
  return (g, n, dys) => {
    const dy = dyOf(g, n, dys);
    const a = input(n, 0);
    const b = input(n, 1);
    const zero = g.scalar(0, ftype(dy));
    const aWins = wins(g, a, b);
    return [sumTo(g, op.where(g, aWins, dy, zero), a.shape), sumTo(g, op.where(g, aWins, zero, dy), b.shape)];
  };
}

export const gradRules: Readonly<Record<string, GradRule>> = {
  Identity: unaryRule((_g, _x, _y, dy) => dy),
  Add: linear(1, 1),
  Sub: linear(1, -1),
  Mul: (g, n, dys) => {
    const dy = dyOf(g, n, dys);
    const a = input(n, 0);
    const b = input(n, 1);
    return [sumTo(g, op.mul(g, dy, b), a.shape), sumTo(g, op.mul(g, dy, a), b.shape)];
  },
  Div: (g, n, dys) => {
    const dy = dyOf(g, n, dys);
    const a = input(n, 0);
    const b = input(n, 1);
    const da = op.div(g, dy, b);
    const db = op.neg(g, op.div(g, op.mul(g, dy, out(n)), b));
    return [sumTo(g, da, a.shape), sumTo(g, db, b.shape)];
  },
  Max: pick(op.greater),
  Min: pick(op.less),
  // dy * (y > 0) as a float mask: ONNX Runtime's Where took 3.4 ms of a criteo step's ~45 ms graph (1 ns an
  // element), Cast and Mul about a third of that; the same values but for the sign of a zero (and an infinite or
  // NaN dy where y <= 0, which the mask multiplies instead of dropping).
  Relu: unaryRule((g, _x, y, dy) => op.mul(g, dy, op.cast(g, op.greater(g, y, g.scalar(0, ftype(y))), ftype(y)))),
  Sigmoid: unaryRule((g, _x, y, dy) => op.mul(g, dy, op.mul(g, y, op.sub(g, g.scalar(1, ftype(y)), y)))),
  Tanh: unaryRule((g, _x, y, dy) => op.mul(g, dy, op.sub(g, g.scalar(1, ftype(y)), op.mul(g, y, y)))),
  Exp: unaryRule((g, _x, y, dy) => op.mul(g, dy, y)),
  Log: unaryRule((g, x, _y, dy) => op.div(g, dy, x)),
  Neg: unaryRule((g, _x, _y, dy) => op.neg(g, dy)),
  Abs: unaryRule((g, x, _y, dy) => op.mul(g, dy, op.sign(g, x))),
  Sqrt: unaryRule((g, _x, y, dy) => op.div(g, op.mul(g, dy, g.scalar(0.5, ftype(y))), y)),
  Reciprocal: unaryRule((g, _x, y, dy) => op.neg(g, op.mul(g, dy, op.mul(g, y, y)))),
  MatMul: transposed2,
  Gemm: (g, n, dys) => {
    const dy = dyOf(g, n, dys);
    const a = input(n, 0);
    const b = input(n, 1);
    const c = n.inputs[2] ?? null;
    const ta = intAttr(n, 'transA', 0) === 1;
    const tb = intAttr(n, 'transB', 0) === 1;
    const alpha = floatAttr(n, 'alpha', 1);
    const beta = floatAttr(n, 'beta', 1);
    const da = ta
      ? op.gemm(g, b, dy, null, { transA: tb, transB: true, alpha })
      : op.gemm(g, dy, b, null, { transB: !tb, alpha });
    const db = tb
      ? op.gemm(g, dy, a, null, { transA: true, transB: ta, alpha })
      : op.gemm(g, a, dy, null, { transA: !ta, alpha });
    const dc = c ? sumTo(g, beta === 1 ? dy : op.mul(g, dy, g.scalar(Math.fround(beta), ftype(dy))), c.shape) : null;
    return c ? [da, db, dc] : [da, db];
  },
  Concat: (g, n, dys) => {
    const dy = dyOf(g, n, dys);
    const axis = intAttr(n, 'axis', 0);
    const sizes = n.inputs.map((v) => (v as Value).shape[axis] as number);
    return sizes.length === 1 ? [dy] : op.split(g, dy, axis, sizes);
  },
  Slice: (g, n, dys) => {
    const dy = dyOf(g, n, dys);
    const x = input(n, 0);
    const [start] = constInts(g, input(n, 1));
    const [end] = constInts(g, input(n, 2));
    const [axis] = constInts(g, input(n, 3));
    const rank = x.shape.length;
    const pads = new Array<number>(2 * rank).fill(0);
    pads[axis as number] = start as number;
    pads[rank + (axis as number)] = (x.shape[axis as number] as number) - (end as number);
    const dx = g.node('Pad', [dy, g.int64s(pads)], [{ dtype: dy.dtype, shape: x.shape }], { mode: { s: 'constant' } })[0];
    return [dx as Value, null, null, null];
  },
  Split: (g, n, dys) => {
    const axis = intAttr(n, 'axis', 0);
    const parts = n.outputs.map((_, i) => dyOf(g, n, dys, i));
    return [op.concat(g, parts, axis), null];
  },
  Reshape: (g, n, dys) => [op.reshape(g, dyOf(g, n, dys), input(n, 0).shape), null],
  Transpose: (g, n, dys) => {
    const a = n.attrs.perm;
    const perm = a && 'ints' in a ? a.ints : input(n, 0).shape.map((_, i, s) => s.length - 1 - i);
    const inv = new Array<number>(perm.length);
    perm.forEach((p, i) => {
      inv[p] = i;
    });
    return [op.transpose(g, dyOf(g, n, dys), inv)];
  },
  Unsqueeze: (g, n, dys) => [op.squeeze(g, dyOf(g, n, dys), constInts(g, input(n, 1))[0] as number), null],
  Squeeze: (g, n, dys) => [op.unsqueeze(g, dyOf(g, n, dys), constInts(g, input(n, 1))[0] as number), null],
  ReduceSum: (g, n, dys) => [reduceBack(g, n, constInts(g, input(n, 1)), dyOf(g, n, dys)), null],
  ReduceMean: (g, n, dys) => {
    const a = n.attrs.axes;
    const axes = a && 'ints' in a ? a.ints : [];
    const x = input(n, 0);
    const back = reduceBack(g, n, axes, dyOf(g, n, dys));
    return [op.div(g, back, reducedCount(g, x, axes))];
  },
  Where: (g, n, dys) => {
    const dy = dyOf(g, n, dys);
    const c = input(n, 0);
    const zero = g.scalar(0, ftype(dy));
    return [
      null,
      sumTo(g, op.where(g, c, dy, zero), input(n, 1).shape),
      sumTo(g, op.where(g, c, zero, dy), input(n, 2).shape),
    ];
  },
  Gather: (g, n, dys) => {
    const dy = dyOf(g, n, dys);
    const data = input(n, 0);
    let idx = input(n, 1);
    if (idx.dtype !== 'int64') idx = op.cast(g, idx, 'int64');
    const dData = op.scatterAddRows(g, op.zerosLike(g, data), op.unsqueeze(g, idx, -1), dy);
    return [dData, null];
  },
  Softmax: (g, n, dys) => {
    const dy = dyOf(g, n, dys);
    const y = out(n);
    const axis = intAttr(n, 'axis', -1);
    const dot = op.reduceSum(g, op.mul(g, dy, y), [axis], true);
    return [op.mul(g, y, op.sub(g, dy, dot))];
  },
  LogSoftmax: (g, n, dys) => {
    const dy = dyOf(g, n, dys);
    const axis = intAttr(n, 'axis', -1);
    const total = op.reduceSum(g, dy, [axis], true);
    return [op.sub(g, dy, op.mul(g, op.exp(g, out(n)), total))];
  },
  Cast: (g, n, dys) => {
    const x = input(n, 0);
    const dy = dys[0];
    if (!dy || (x.dtype !== 'float32' && x.dtype !== 'float64')) return [null];
    return [dy.dtype === x.dtype ? dy : op.cast(g, dy, x.dtype)];
  },
  Expand: (g, n, dys) => [sumTo(g, dyOf(g, n, dys), input(n, 0).shape), null],
  Greater: none,
  Less: none,
  Sign: none,
  Shape: none,
  Size: none,
};
