import { WideDeepError } from '../core/errors.js';

/** Element types the builder knows. `float64` exists so gradients can be checked in double precision. */
export type DType = 'float32' | 'float64' | 'int64' | 'int32' | 'bool';
export type FloatType = 'float32' | 'float64';
/** A dimension: a number, or a name for a symbolic dimension such as the batch size `N`. */
export type Dim = number | string;
export type Shape = readonly Dim[];

/** A value in the graph: a graph input, an initializer or a node output, with its static type and shape. */
export interface Value {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: Shape;
}

/** ONNX attribute values, tagged because ONNX distinguishes ints from floats. */
export type Attr =
  | { readonly i: number }
  | { readonly f: number }
  | { readonly s: string }
  | { readonly ints: readonly number[] }
  | { readonly floats: readonly number[] };

export interface Node {
  readonly opType: string;
  /** Inputs; `null` is an omitted optional input. */
  readonly inputs: readonly (Value | null)[];
  readonly outputs: readonly Value[];
  readonly attrs: Readonly<Record<string, Attr>>;
}

export type ConstData = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array;

export interface Initializer {
  readonly value: Value;
  readonly data: ConstData;
}

/**
 * An ONNX graph under construction. Ops (see ops.ts) append nodes with statically inferred shapes, so the
 * autodiff can reason about broadcasting without running anything. Nodes are kept in creation order, which
 * is a topological order.
 */
export class Graph {
  readonly nodes: Node[] = [];
  readonly inputs: Value[] = [];
  readonly outputs: Value[] = [];
  readonly initializers: Initializer[] = [];
  private readonly names = new Set<string>();
  private counter = 0;

  constructor(readonly name = 'widedeep') {}

  /** A unique name with the given prefix. */
  fresh(prefix: string): string {
    let name: string;
    do name = `${prefix}_${this.counter++}`;
    while (this.names.has(name));
    return name;
  }

  private claim(name: string): string {
    if (this.names.has(name)) throw new WideDeepError('GRAPH', `the name ${name} is already used in graph ${this.name}`);
    this.names.add(name);
    return name;
  }

  /** Declares a graph input. */
  input(name: string, dtype: DType, shape: Shape): Value {
    const v: Value = { name: this.claim(name), dtype, shape: [...shape] };
    this.inputs.push(v);
    return v;
  }

  /** A constant stored in the model (an ONNX initializer). */
  constant(data: ConstData, shape: readonly number[], dtype: DType, name?: string): Value {
    const n = shape.reduce((a, b) => a * b, 1);
    if (data.length !== n) {
      throw new WideDeepError('SHAPE', `constant of shape [${shape.join(', ')}] needs ${n} values, got ${data.length}`);
    }
    const v: Value = { name: this.claim(name ?? this.fresh('const')), dtype, shape: [...shape] };
    this.initializers.push({ value: v, data });
    return v;
  }

  /** A float scalar (shape []) of the given float type. */
  scalar(x: number, dtype: FloatType): Value {
    return this.constant(dtype === 'float64' ? Float64Array.of(x) : Float32Array.of(x), [], dtype);
  }

  /** An int64 vector constant (shapes, axes, indices). */
  int64s(xs: readonly number[]): Value {
    return this.constant(BigInt64Array.from(xs, (x) => BigInt(x)), [xs.length], 'int64');
  }

  /** Appends a node; returns its outputs. Low level: prefer the typed ops in ops.ts. */
  node(
    opType: string,
    inputs: readonly (Value | null)[],
    outputs: readonly { dtype: DType; shape: Shape; name?: string }[],
    attrs: Readonly<Record<string, Attr>> = {},
  ): Value[] {
    const outs = outputs.map((o) => ({
      name: this.claim(o.name ?? this.fresh(opType.toLowerCase())),
      dtype: o.dtype,
      shape: [...o.shape],
    }));
    this.nodes.push({ opType, inputs: [...inputs], outputs: outs, attrs });
    return outs;
  }

  /** Marks a value as a graph output under `name` (through an Identity node when the name differs). */
  output(v: Value, name?: string): Value {
    if (name === undefined || name === v.name) {
      this.outputs.push(v);
      return v;
    }
    const [out] = this.node('Identity', [v], [{ dtype: v.dtype, shape: v.shape, name }]);
    this.outputs.push(out as Value);
    return out as Value;
  }
}

export function isFloat(dtype: DType): dtype is FloatType {
  return dtype === 'float32' || dtype === 'float64';
}

export function dimEq(a: Dim, b: Dim): boolean {
  return a === b;
}

export function shapeStr(s: Shape): string {
  return `[${s.join(', ')}]`;
}
