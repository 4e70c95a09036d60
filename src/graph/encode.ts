import onnxProto from 'onnx-proto';
import type { Attr, ConstData, DType, Graph, Node, Shape, Value } from './builder.js';

const { onnx } = onnxProto;

/** The ONNX opset every widedeep graph targets (ReduceSum takes axes as an input, ReduceMean as an attribute). */
export const OPSET = 17;
/** ONNX IR version matching opset 17. */
export const IR_VERSION = 8;

const ELEM: Record<DType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  float64: onnx.TensorProto.DataType.DOUBLE,
  int64: onnx.TensorProto.DataType.INT64,
  int32: onnx.TensorProto.DataType.INT32,
  bool: onnx.TensorProto.DataType.BOOL,
};

function valueInfo(v: Value): onnxProto.onnx.IValueInfoProto {
  return {
    name: v.name,
    type: { tensorType: { elemType: ELEM[v.dtype], shape: { dim: dims(v.shape) } } },
  };
}

function dims(shape: Shape): onnxProto.onnx.TensorShapeProto.IDimension[] {
  return shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
}

function attribute(name: string, a: Attr): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if ('i' in a) return { name, type: T.INT, i: a.i };
  if ('f' in a) return { name, type: T.FLOAT, f: a.f };
  if ('s' in a) return { name, type: T.STRING, s: new TextEncoder().encode(a.s) };
  if ('ints' in a) return { name, type: T.INTS, ints: [...a.ints] };
  return { name, type: T.FLOATS, floats: [...a.floats] };
}

function tensorProto(v: Value, data: ConstData): onnxProto.onnx.ITensorProto {
  const raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return { name: v.name, dataType: ELEM[v.dtype], dims: v.shape.map(Number), rawData: raw };
}

/**
 * Nodes and initializers the outputs depend on, in order. Gradient rules emit the gradient of every input
 * of an op; the ones nothing reads (towards masks, constants, labels) are dropped here.
 */
export function liveParts(g: Graph): { nodes: Node[]; initializers: Graph['initializers'] } {
  const needed = new Set(g.outputs.map((v) => v.name));
  const nodes: Node[] = [];
  for (let k = g.nodes.length - 1; k >= 0; k--) {
    const n = g.nodes[k] as Node;
    if (!n.outputs.some((o) => needed.has(o.name))) continue;
    nodes.push(n);
    for (const v of n.inputs) if (v) needed.add(v.name);
  }
  nodes.reverse();
  return { nodes, initializers: g.initializers.filter((i) => needed.has(i.value.name)) };
}

/**
 * The output-naming Identity nodes (`Graph.output(v, name)`) that can go: where `v` is a node's output that is
 * not a graph output itself, the node can write `name` directly. ONNX Runtime keeps such an Identity when
 * `v` has other readers (an optimizer's new moment feeds the weight update and is an output too) and copies
 * the tensor on every run. Returns the nodes left and the renames to apply (v's name -> the output's name).
 */
function withoutOutputIdentities(nodes: readonly Node[], g: Graph): { nodes: Node[]; rename: Map<string, string> } {
  const produced = new Set(nodes.flatMap((n) => n.outputs.map((o) => o.name)));
  const outputs = new Set(g.outputs.map((v) => v.name));
  const rename = new Map<string, string>();
  const kept = nodes.filter((n) => {
    const v = n.inputs[0];
    const o = n.outputs[0] as Value;
    if (n.opType !== 'Identity' || !v || !outputs.has(o.name) || !produced.has(v.name) || outputs.has(v.name) || rename.has(v.name)) return true;
    rename.set(v.name, o.name);
    return false;
  });
  return { nodes: kept, rename };
}

/** Encodes a graph as ONNX model bytes (opset 17), ready for an InferenceSession. */
export function encodeModel(g: Graph, docString = ''): Uint8Array {
  const live = liveParts(g);
  const { nodes, rename } = withoutOutputIdentities(live.nodes, g);
  const nameOf = (v: Value): string => rename.get(v.name) ?? v.name;
  const graph = onnx.GraphProto.create({
    name: g.name,
    node: nodes.map((n, k) =>
      onnx.NodeProto.create({
        name: `${n.opType}_${k}`,
        opType: n.opType,
        input: n.inputs.map((v) => (v ? nameOf(v) : '')),
        output: n.outputs.map(nameOf),
        attribute: Object.entries(n.attrs).map(([name, a]) => attribute(name, a)),
      }),
    ),
    input: g.inputs.map(valueInfo),
    output: g.outputs.map(valueInfo),
    initializer: live.initializers.map((i) => tensorProto(i.value, i.data)),
  });
  const model = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    producerName: 'widedeep',
    docString,
    opsetImport: [{ domain: '', version: OPSET }],
    graph,
  });
  return onnx.ModelProto.encode(model).finish();
}
