import { WideDeepError } from '../core/errors.js';
import { type DType, type Dim, type Graph, type Shape, type Value, isFloat, shapeStr } from './builder.js';

/**
 * Typed ONNX ops (opset 17) with static shape inference. Each returns the output Value(s). Their gradient
 * rules live in gradients.ts, one per op type.
 */

function shapeError(op: string, msg: string): never {
  throw new WideDeepError('SHAPE', `${op}: ${msg}`);
}

/** Numpy-style broadcast of two static shapes (symbolic dims must match by name, or one side must be 1). */
export function broadcastShapes(op: string, a: Shape, b: Shape): Dim[] {
  const n = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < n; i++) {
    const da = i < n - a.length ? 1 : (a[i - (n - a.length)] as Dim);
    const db = i < n - b.length ? 1 : (b[i - (n - b.length)] as Dim);
    if (da === db || db === 1) out.push(da);
    else if (da === 1) out.push(db);
    else shapeError(op, `cannot broadcast ${shapeStr(a)} with ${shapeStr(b)}`);
  }
  return out;
}

function floatOf(op: string, ...vs: Value[]): DType {
  const t = (vs[0] as Value).dtype;
  for (const v of vs) {
    if (v.dtype !== t) shapeError(op, `mixed element types ${vs.map((x) => x.dtype).join(', ')}`);
  }
  return t;
}

function normAxis(op: string, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) shapeError(op, `axis ${axis} out of range for rank ${rank}`);
  return a;
}

function unary(op: string) {
  return (g: Graph, x: Value): Value => {
    if (!isFloat(x.dtype)) shapeError(op, `needs a float input, got ${x.dtype}`);
    return g.node(op, [x], [{ dtype: x.dtype, shape: x.shape }])[0] as Value;
  };
}

export const relu = unary('Relu');
export const sigmoid = unary('Sigmoid');
export const tanh = unary('Tanh');
export const exp = unary('Exp');
export const log = unary('Log');
export const neg = unary('Neg');
export const abs = unary('Abs');
export const sqrt = unary('Sqrt');
export const reciprocal = unary('Reciprocal');
export const sign = unary('Sign');

export function identity(g: Graph, x: Value): Value {
  return g.node('Identity', [x], [{ dtype: x.dtype, shape: x.shape }])[0] as Value;
}

function binary(op: string) {
  return (g: Graph, a: Value, b: Value): Value => {
    const dtype = floatOf(op, a, b);
    return g.node(op, [a, b], [{ dtype, shape: broadcastShapes(op, a.shape, b.shape) }])[0] as Value;
  };
}

export const add = binary('Add');
export const sub = binary('Sub');
export const mul = binary('Mul');
export const div = binary('Div');
export const max = binary('Max');
export const min = binary('Min');

function compare(op: string) {
  return (g: Graph, a: Value, b: Value): Value => {
    floatOf(op, a, b);
    return g.node(op, [a, b], [{ dtype: 'bool', shape: broadcastShapes(op, a.shape, b.shape) }])[0] as Value;
  };
}

export const greater = compare('Greater');
export const less = compare('Less');

/** Elementwise select: cond ? a : b, all three broadcast. */
export function where(g: Graph, cond: Value, a: Value, b: Value): Value {
  if (cond.dtype !== 'bool') shapeError('Where', `condition must be bool, got ${cond.dtype}`);
  const dtype = floatOf('Where', a, b);
  const shape = broadcastShapes('Where', broadcastShapes('Where', cond.shape, a.shape), b.shape);
  return g.node('Where', [cond, a, b], [{ dtype, shape }])[0] as Value;
}

const ONNX_TYPE: Record<DType, number> = { float32: 1, int32: 6, int64: 7, bool: 9, float64: 11 };

export function cast(g: Graph, x: Value, to: DType): Value {
  return g.node('Cast', [x], [{ dtype: to, shape: x.shape }], { to: { i: ONNX_TYPE[to] } })[0] as Value;
}

/** MatMul of [..., M, K] by [K, N] (or 2-D by 2-D). */
export function matmul(g: Graph, a: Value, b: Value): Value {
  const dtype = floatOf('MatMul', a, b);
  if (a.shape.length < 2 || b.shape.length !== 2) {
    shapeError('MatMul', `supports [..., M, K] x [K, N], got ${shapeStr(a.shape)} x ${shapeStr(b.shape)}`);
  }
  const k = a.shape[a.shape.length - 1];
  if (k !== b.shape[0]) shapeError('MatMul', `inner dimensions differ: ${shapeStr(a.shape)} x ${shapeStr(b.shape)}`);
  const shape = [...a.shape.slice(0, -1), b.shape[1] as Dim];
  return g.node('MatMul', [a, b], [{ dtype, shape }])[0] as Value;
}

export interface GemmOptions {
  readonly transA?: boolean;
  readonly transB?: boolean;
  readonly alpha?: number;
  readonly beta?: number;
}

/** Gemm: alpha * op(A) op(B) + beta * C, with C broadcast to [M, N]. */
export function gemm(g: Graph, a: Value, b: Value, c: Value | null, o: GemmOptions = {}): Value {
  const dtype = floatOf('Gemm', ...(c ? [a, b, c] : [a, b]));
  if (a.shape.length !== 2 || b.shape.length !== 2) shapeError('Gemm', 'needs 2-D A and B');
  const [m, ka] = o.transA ? [a.shape[1], a.shape[0]] : [a.shape[0], a.shape[1]];
  const [kb, n] = o.transB ? [b.shape[1], b.shape[0]] : [b.shape[0], b.shape[1]];
  if (ka !== kb) shapeError('Gemm', `inner dimensions differ: ${String(ka)} vs ${String(kb)}`);
  const shape = [m as Dim, n as Dim];
  if (c) broadcastShapes('Gemm', shape, c.shape);
  const attrs: Record<string, { i: number } | { f: number }> = {};
  if (o.transA) attrs.transA = { i: 1 };
  if (o.transB) attrs.transB = { i: 1 };
  if (o.alpha !== undefined && o.alpha !== 1) attrs.alpha = { f: o.alpha };
  if (o.beta !== undefined && o.beta !== 1) attrs.beta = { f: o.beta };
  return g.node('Gemm', c ? [a, b, c] : [a, b], [{ dtype, shape }], attrs)[0] as Value;
}

export function concat(g: Graph, xs: readonly Value[], axis: number): Value {
  const first = xs[0];
  if (!first) shapeError('Concat', 'needs at least one input');
  const rank = first.shape.length;
  const ax = normAxis('Concat', axis, rank);
  const dtype = floatOf('Concat', ...xs);
  let total: Dim = 0;
  for (const x of xs) {
    if (x.shape.length !== rank) shapeError('Concat', 'inputs must have the same rank');
    x.shape.forEach((d, i) => {
      if (i !== ax && d !== first.shape[i]) shapeError('Concat', `shapes ${shapeStr(first.shape)} and ${shapeStr(x.shape)} differ off axis ${ax}`);
    });
    const d = x.shape[ax] as Dim;
    if (typeof d !== 'number' || typeof total !== 'number') shapeError('Concat', 'the concat axis must be static');
    total += d;
  }
  const shape = first.shape.map((d, i) => (i === ax ? total : d));
  return g.node('Concat', xs, [{ dtype, shape }], { axis: { i: ax } })[0] as Value;
}

/** Slice along one axis, [start, end) with step 1; the axis must be static. */
export function slice(g: Graph, x: Value, axis: number, start: number, end: number): Value {
  const ax = normAxis('Slice', axis, x.shape.length);
  const d = x.shape[ax];
  if (typeof d !== 'number') shapeError('Slice', `axis ${ax} must be static to slice`);
  if (!(start >= 0 && end <= d && start < end)) shapeError('Slice', `range [${start}, ${end}) outside [0, ${d})`);
  const shape = x.shape.map((s, i) => (i === ax ? end - start : s));
  const inputs = [x, g.int64s([start]), g.int64s([end]), g.int64s([ax])];
  return g.node('Slice', inputs, [{ dtype: x.dtype, shape }])[0] as Value;
}

/** Split along a static axis into parts of the given sizes. */
export function split(g: Graph, x: Value, axis: number, sizes: readonly number[]): Value[] {
  const ax = normAxis('Split', axis, x.shape.length);
  const d = x.shape[ax];
  if (typeof d !== 'number' || sizes.reduce((a, b) => a + b, 0) !== d) {
    shapeError('Split', `sizes [${sizes.join(', ')}] do not add up to axis ${ax} of ${shapeStr(x.shape)}`);
  }
  const outs = sizes.map((s) => ({ dtype: x.dtype, shape: x.shape.map((v, i) => (i === ax ? s : v)) }));
  return g.node('Split', [x, g.int64s(sizes)], outs, { axis: { i: ax } });
}

/**
 * Reshape to a static target shape that may name symbolic dims. A symbolic dim at the same position as in
 * the input is copied (ONNX 0); at most one other unresolved dim is inferred (ONNX -1).
 */
export function reshape(g: Graph, x: Value, shape: Shape): Value {
  let inferred = 0;
  const spec = shape.map((d, i) => {
    if (typeof d === 'number') return d;
    if (x.shape[i] === d) return 0;
    inferred++;
    return -1;
  });
  if (inferred > 1) shapeError('Reshape', `cannot infer more than one symbolic dim in ${shapeStr(shape)} from ${shapeStr(x.shape)}`);
  const staticSize = (s: Shape): number | null =>
    s.every((v) => typeof v === 'number') ? (s as number[]).reduce((a, b) => a * b, 1) : null;
  const a = staticSize(x.shape);
  const b = staticSize(shape);
  if (a !== null && b !== null && a !== b) shapeError('Reshape', `cannot reshape ${shapeStr(x.shape)} to ${shapeStr(shape)}`);
  return g.node('Reshape', [x, g.int64s(spec)], [{ dtype: x.dtype, shape }])[0] as Value;
}

export function transpose(g: Graph, x: Value, perm?: readonly number[]): Value {
  const p = perm ?? x.shape.map((_, i) => x.shape.length - 1 - i);
  const shape = p.map((i) => x.shape[i] as Dim);
  return g.node('Transpose', [x], [{ dtype: x.dtype, shape }], { perm: { ints: p } })[0] as Value;
}

export function unsqueeze(g: Graph, x: Value, axis: number): Value {
  const ax = normAxis('Unsqueeze', axis, x.shape.length + 1);
  const shape = [...x.shape.slice(0, ax), 1, ...x.shape.slice(ax)];
  return g.node('Unsqueeze', [x, g.int64s([ax])], [{ dtype: x.dtype, shape }])[0] as Value;
}

export function squeeze(g: Graph, x: Value, axis: number): Value {
  const ax = normAxis('Squeeze', axis, x.shape.length);
  if (x.shape[ax] !== 1) shapeError('Squeeze', `axis ${ax} of ${shapeStr(x.shape)} is not 1`);
  const shape = x.shape.filter((_, i) => i !== ax);
  return g.node('Squeeze', [x, g.int64s([ax])], [{ dtype: x.dtype, shape }])[0] as Value;
}

function reducedShape(op: string, x: Value, axes: readonly number[], keepdims: boolean): { axes: number[]; shape: Dim[] } {
  const ax = axes.map((a) => normAxis(op, a, x.shape.length));
  const shape: Dim[] = [];
  x.shape.forEach((d, i) => {
    if (!ax.includes(i)) shape.push(d);
    else if (keepdims) shape.push(1);
  });
  return { axes: ax, shape };
}

/** ReduceSum (opset 13+: axes are an input). */
export function reduceSum(g: Graph, x: Value, axes: readonly number[], keepdims = false): Value {
  const r = reducedShape('ReduceSum', x, axes, keepdims);
  return g.node('ReduceSum', [x, g.int64s(r.axes)], [{ dtype: x.dtype, shape: r.shape }], {
    keepdims: { i: keepdims ? 1 : 0 },
  })[0] as Value;
}

/** ReduceMean (opset 17: axes are an attribute). */
export function reduceMean(g: Graph, x: Value, axes: readonly number[], keepdims = false): Value {
  const r = reducedShape('ReduceMean', x, axes, keepdims);
  return g.node('ReduceMean', [x], [{ dtype: x.dtype, shape: r.shape }], {
    axes: { ints: r.axes },
    keepdims: { i: keepdims ? 1 : 0 },
  })[0] as Value;
}

/** Gather rows of a dense `data` tensor along axis 0 by int64 `indices`. */
export function gather(g: Graph, data: Value, indices: Value): Value {
  if (indices.dtype !== 'int64' && indices.dtype !== 'int32') shapeError('Gather', 'indices must be int32 or int64');
  const shape = [...indices.shape, ...data.shape.slice(1)];
  return g.node('Gather', [data, indices], [{ dtype: data.dtype, shape }], { axis: { i: 0 } })[0] as Value;
}

export function softmax(g: Graph, x: Value, axis = -1): Value {
  const ax = normAxis('Softmax', axis, x.shape.length);
  return g.node('Softmax', [x], [{ dtype: x.dtype, shape: x.shape }], { axis: { i: ax } })[0] as Value;
}

export function logSoftmax(g: Graph, x: Value, axis = -1): Value {
  const ax = normAxis('LogSoftmax', axis, x.shape.length);
  return g.node('LogSoftmax', [x], [{ dtype: x.dtype, shape: x.shape }], { axis: { i: ax } })[0] as Value;
}

/** The runtime shape of x as an int64 vector (works with symbolic dims). */
export function shapeOf(g: Graph, x: Value): Value {
  return g.node('Shape', [x], [{ dtype: 'int64', shape: [x.shape.length] }])[0] as Value;
}

/** The runtime number of elements of x as an int64 scalar (ONNX Size; works with symbolic dims). */
export function sizeOf(g: Graph, x: Value): Value {
  return g.node('Size', [x], [{ dtype: 'int64', shape: [] }])[0] as Value;
}

/** Zeros with the shape and type of x. */
export function zerosLike(g: Graph, x: Value): Value {
  const zero = g.scalar(0, x.dtype === 'float64' ? 'float64' : 'float32');
  return g.node('Expand', [zero, shapeOf(g, x)], [{ dtype: x.dtype, shape: x.shape }])[0] as Value;
}

/** Broadcasts x to the runtime shape of `like` (ONNX Expand). */
export function expandAs(g: Graph, x: Value, like: Value): Value {
  const shape = broadcastShapes('Expand', x.shape, like.shape);
  return g.node('Expand', [x, shapeOf(g, like)], [{ dtype: x.dtype, shape }])[0] as Value;
}

/** out = copy of `data` with `updates` added at rows `indices` ([n, 1] int64); duplicates accumulate. */
export function scatterAddRows(g: Graph, data: Value, indices: Value, updates: Value): Value {
  return g.node('ScatterND', [data, indices, updates], [{ dtype: data.dtype, shape: data.shape }], {
    reduction: { s: 'add' },
  })[0] as Value;
}
