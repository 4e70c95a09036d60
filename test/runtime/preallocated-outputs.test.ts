import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { Graph } from '../../src/graph/builder.js';
import { encodeModel } from '../../src/graph/encode.js';
import * as op from '../../src/graph/ops.js';
import { nodeExecutor } from '../../src/runtime/node.js';

/**
 * The node executor does not copy pre-allocated outputs back (OrtSession.run): it relies on ONNX Runtime
 * writing each one into the buffer it was given, although onnxruntime-node returns a copy in a new buffer.
 */
function model(): Uint8Array {
  const g = new Graph();
  const x = g.input('x', 'float32', [3]);
  g.output(op.mul(g, x, g.scalar(2, 'float32')), 'double');
  g.output(x, 'same'); // a graph input as an output: ONNX Runtime copies it into the buffer given
  return encodeModel(g);
}

describe('pre-allocated outputs', () => {
  it('onnxruntime-node writes a pre-allocated output into the buffer given', async () => {
    const s = await ort.InferenceSession.create(model());
    const mine = new Float32Array(3).fill(Number.NaN);
    const r = await s.run({ x: new ort.Tensor('float32', Float32Array.of(1, 2, 3), [3]) }, { double: new ort.Tensor('float32', mine, [3]), same: null });
    expect([...mine]).toEqual([2, 4, 6]);
    expect([...(r.double?.data as Float32Array)]).toEqual([2, 4, 6]);
    await s.release();
  });

  it('the node executor returns the caller buffers, holding this run\'s values, run after run', async () => {
    const s = await nodeExecutor.createSession(model(), { threads: 1 });
    const double = new Float32Array(3);
    const same = new Float32Array(3);
    for (const x of [Float32Array.of(1, 2, 3), Float32Array.of(-1, 0.5, 7)]) {
      const out = await s.run({ x: { type: 'float32', data: x, dims: [3] } }, { double: { type: 'float32', data: double, dims: [3] }, same: { type: 'float32', data: same, dims: [3] } });
      expect(out.double?.data).toBe(double);
      expect(out.same?.data).toBe(same);
      expect([...double]).toEqual([...x].map((v) => 2 * v));
      expect([...same]).toEqual([...x]);
    }
    await s.release();
  });
});
