import { describe, expect, it } from 'vitest';
import type { Graph, Value } from '../../src/graph/builder.js';
import * as op from '../../src/graph/ops.js';
import { checkGradients, type FdInput } from '../helpers/fd.js';

interface Case {
  readonly name: string;
  readonly inputs: readonly FdInput[];
  readonly build: (g: Graph, xs: Value[]) => Value;
}

const x = (i: number, xs: Value[]): Value => xs[i] as Value;
const i64 = (vals: number[], dims: number[]) => ({ type: 'int64' as const, data: BigInt64Array.from(vals.map(BigInt)), dims });

// One case per gradient rule (and per broadcasting pattern), on small random shapes and values.
const cases: Case[] = [
  { name: 'Add broadcast row', inputs: [{ shape: [4, 3] }, { shape: [3] }], build: (g, xs) => op.add(g, x(0, xs), x(1, xs)) },
  { name: 'Add broadcast col', inputs: [{ shape: [4, 3] }, { shape: [4, 1] }], build: (g, xs) => op.add(g, x(0, xs), x(1, xs)) },
  { name: 'Sub broadcast scalar', inputs: [{ shape: [2, 3] }, { shape: [] }], build: (g, xs) => op.sub(g, x(0, xs), x(1, xs)) },
  { name: 'Mul broadcast', inputs: [{ shape: [3, 1, 4] }, { shape: [2, 4] }], build: (g, xs) => op.mul(g, x(0, xs), x(1, xs)) },
  { name: 'Div', inputs: [{ shape: [3, 4] }, { shape: [4], awayFromZero: true }], build: (g, xs) => op.div(g, x(0, xs), x(1, xs)) },
  { name: 'Max', inputs: [{ shape: [3, 4] }, { shape: [3, 4] }], build: (g, xs) => op.max(g, x(0, xs), x(1, xs)) },
  { name: 'Min', inputs: [{ shape: [3, 4] }, { shape: [4] }], build: (g, xs) => op.min(g, x(0, xs), x(1, xs)) },
  { name: 'Relu', inputs: [{ shape: [5, 3], awayFromZero: true }], build: (g, xs) => op.relu(g, x(0, xs)) },
  { name: 'Sigmoid', inputs: [{ shape: [5, 3] }], build: (g, xs) => op.sigmoid(g, x(0, xs)) },
  { name: 'Tanh', inputs: [{ shape: [5, 3] }], build: (g, xs) => op.tanh(g, x(0, xs)) },
  { name: 'Exp', inputs: [{ shape: [5, 3] }], build: (g, xs) => op.exp(g, x(0, xs)) },
  { name: 'Log', inputs: [{ shape: [5, 3], positive: true }], build: (g, xs) => op.log(g, x(0, xs)) },
  { name: 'Neg', inputs: [{ shape: [2, 3] }], build: (g, xs) => op.neg(g, x(0, xs)) },
  { name: 'Abs', inputs: [{ shape: [2, 3], awayFromZero: true }], build: (g, xs) => op.abs(g, x(0, xs)) },
  { name: 'Sqrt', inputs: [{ shape: [2, 3], positive: true }], build: (g, xs) => op.sqrt(g, x(0, xs)) },
  { name: 'Reciprocal', inputs: [{ shape: [2, 3], awayFromZero: true }], build: (g, xs) => op.reciprocal(g, x(0, xs)) },
  { name: 'MatMul 2-D', inputs: [{ shape: [4, 3] }, { shape: [3, 5] }], build: (g, xs) => op.matmul(g, x(0, xs), x(1, xs)) },
  { name: 'MatMul 3-D x 2-D', inputs: [{ shape: [2, 4, 3] }, { shape: [3, 5] }], build: (g, xs) => op.matmul(g, x(0, xs), x(1, xs)) },
  {
    name: 'Gemm plain + bias',
    inputs: [{ shape: [4, 3] }, { shape: [3, 5] }, { shape: [5] }],
    build: (g, xs) => op.gemm(g, x(0, xs), x(1, xs), x(2, xs), { alpha: 0.7, beta: 1.3 }),
  },
  {
    name: 'Gemm transA',
    inputs: [{ shape: [3, 4] }, { shape: [3, 5] }, { shape: [4, 1] }],
    build: (g, xs) => op.gemm(g, x(0, xs), x(1, xs), x(2, xs), { transA: true }),
  },
  { name: 'Gemm transB', inputs: [{ shape: [4, 3] }, { shape: [5, 3] }], build: (g, xs) => op.gemm(g, x(0, xs), x(1, xs), null, { transB: true }) },
  {
    name: 'Gemm transA transB',
    inputs: [{ shape: [3, 4] }, { shape: [5, 3] }],
    build: (g, xs) => op.gemm(g, x(0, xs), x(1, xs), null, { transA: true, transB: true, alpha: 2 }),
  },
  { name: 'Concat', inputs: [{ shape: [2, 3] }, { shape: [2, 2] }], build: (g, xs) => op.concat(g, [x(0, xs), x(1, xs)], 1) },
  { name: 'Slice', inputs: [{ shape: [3, 6] }], build: (g, xs) => op.slice(g, x(0, xs), 1, 2, 5) },
  {
    name: 'Split (one part unused)',
    inputs: [{ shape: [4, 5] }],
    build: (g, xs) => {
      const [a, , c] = op.split(g, x(0, xs), 1, [2, 1, 2]);
      return op.mul(g, a as Value, c as Value);
    },
  },
  { name: 'Reshape', inputs: [{ shape: [2, 6] }], build: (g, xs) => op.reshape(g, x(0, xs), [3, 4]) },
  { name: 'Transpose', inputs: [{ shape: [2, 3, 4] }], build: (g, xs) => op.transpose(g, x(0, xs), [1, 2, 0]) },
  { name: 'Unsqueeze/Squeeze', inputs: [{ shape: [2, 3] }], build: (g, xs) => op.squeeze(g, op.unsqueeze(g, op.sigmoid(g, x(0, xs)), 1), 1) },
  { name: 'ReduceSum keepdims', inputs: [{ shape: [3, 4, 2] }], build: (g, xs) => op.reduceSum(g, x(0, xs), [1], true) },
  { name: 'ReduceSum', inputs: [{ shape: [3, 4, 2] }], build: (g, xs) => op.reduceSum(g, x(0, xs), [0, 2]) },
  { name: 'ReduceMean', inputs: [{ shape: [3, 4] }], build: (g, xs) => op.reduceMean(g, x(0, xs), [0]) },
  {
    name: 'Where',
    inputs: [{ shape: [3, 4] }, { shape: [3, 4] }, { shape: [4] }],
    build: (g, xs) => op.where(g, op.greater(g, x(0, xs), g.scalar(0, 'float64')), x(1, xs), x(2, xs)),
  },
  {
    name: 'Dropout by mask',
    inputs: [{ shape: [3, 4] }, { shape: [3, 4], constant: { type: 'float64', data: Float64Array.from({ length: 12 }, (_, i) => (i % 3 === 0 ? 0 : 1.5)), dims: [3, 4] } }],
    build: (g, xs) => op.mul(g, x(0, xs), x(1, xs)),
  },
  {
    name: 'Gather (duplicate indices)',
    inputs: [{ shape: [5, 3] }, { shape: [4], constant: i64([1, 3, 1, 0], [4]) }],
    build: (g, xs) => op.gather(g, x(0, xs), x(1, xs)),
  },
  { name: 'Softmax', inputs: [{ shape: [3, 4] }], build: (g, xs) => op.softmax(g, x(0, xs)) },
  { name: 'LogSoftmax', inputs: [{ shape: [3, 4] }], build: (g, xs) => op.logSoftmax(g, x(0, xs)) },
  { name: 'Expand', inputs: [{ shape: [1, 4] }, { shape: [3, 4] }], build: (g, xs) => op.mul(g, op.expandAs(g, x(0, xs), x(1, xs)), x(1, xs)) },
  {
    name: 'value used twice (accumulation)',
    inputs: [{ shape: [3, 3] }],
    build: (g, xs) => op.matmul(g, op.tanh(g, x(0, xs)), x(0, xs)),
  },
];

describe('gradient rules vs central finite differences (float64)', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const r = await checkGradients(c.build, c.inputs);
      expect(r.checked).toBeGreaterThan(0);
      expect(r.maxAbsErr).toBeLessThan(1e-7);
    });
  }
});
