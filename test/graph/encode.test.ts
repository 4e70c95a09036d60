import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { Graph } from '../../src/graph/builder.js';
import { encodeModel } from '../../src/graph/encode.js';
import * as op from '../../src/graph/ops.js';
import { nodeExecutor } from '../../src/runtime/node.js';

const { onnx } = onnxProto;

function decoded(bytes: Uint8Array) {
  return onnx.ModelProto.decode(bytes).graph as onnxProto.onnx.GraphProto;
}

describe('encodeModel', () => {
  it('drops the Identity of an output whose value other nodes read, and the outputs stay right', async () => {
    // m = 2x is an output under its own name and also feeds w = m + x (as an optimizer's new moment feeds the weight).
    const g = new Graph();
    const x = g.input('x', 'float32', [3]);
    const m = op.mul(g, x, g.scalar(2, 'float32'));
    const w = op.add(g, m, x);
    g.output(m, 'm_next');
    g.output(w, 'w_next');
    const graph = decoded(encodeModel(g));
    expect(graph.node.map((n) => n.opType)).toEqual(['Mul', 'Add']);
    expect(graph.node[0]?.output).toEqual(['m_next']);
    expect(graph.node[1]?.input?.[0]).toBe('m_next');
    const s = await nodeExecutor.createSession(encodeModel(g), { threads: 1 });
    const out = await s.run({ x: { type: 'float32', data: Float32Array.of(1, 2, 3), dims: [3] } }, { m_next: null, w_next: null });
    expect([...(out.m_next?.data as Float32Array)]).toEqual([2, 4, 6]);
    expect([...(out.w_next?.data as Float32Array)]).toEqual([3, 6, 9]);
    await s.release();
  });

  it('keeps the Identity where the value is a graph input, another output, or already renamed', async () => {
    const g = new Graph();
    const x = g.input('x', 'float32', [2]);
    const y = op.neg(g, x);
    g.output(x, 'x_copy'); // from a graph input: must stay a copy
    g.output(y); // y under its own name ...
    g.output(y, 'y_again'); // ... and again under another: the Identity stays
    const z = op.exp(g, x);
    g.output(z, 'z1');
    g.output(z, 'z2'); // the second name for the same value keeps its Identity
    const graph = decoded(encodeModel(g));
    expect(graph.node.filter((n) => n.opType === 'Identity').map((n) => n.output?.[0])).toEqual(['x_copy', 'y_again', 'z2']);
    const s = await nodeExecutor.createSession(encodeModel(g), { threads: 1 });
    const out = await s.run({ x: { type: 'float32', data: Float32Array.of(0, 1), dims: [2] } }, { x_copy: null, [y.name]: null, y_again: null, z1: null, z2: null });
    expect([...(out.x_copy?.data as Float32Array)]).toEqual([0, 1]);
    expect([...(out.y_again?.data as Float32Array)]).toEqual([-0, -1]);
    expect(out.z1?.data).toEqual(out.z2?.data);
    await s.release();
  });
});
