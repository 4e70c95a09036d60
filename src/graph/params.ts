import { WideDeepError } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import type { FloatType, Graph, Shape, Value } from './builder.js';

/** Initializers for dense parameters. Fans are (fanIn, fanOut) of the layer that owns the tensor. */
export type InitKind =
  | 'xavier_uniform'
  | 'xavier_normal'
  | 'he_uniform'
  | 'he_normal'
  | 'truncated_normal'
  | 'zeros'
  | 'ones';

export const INIT_KINDS: readonly InitKind[] = [
  'xavier_uniform',
  'xavier_normal',
  'he_uniform',
  'he_normal',
  'truncated_normal',
  'zeros',
  'ones',
];

/**
 * A trainable dense parameter: fed to the training-step graph as an input named `name`, its update fetched as
 * `name__next`. `group` names the parameter group whose optimizer updates it (e.g. `deep`, `wide`).
 */
export interface ParamSpec {
  readonly name: string;
  readonly shape: readonly number[];
  readonly init: InitKind;
  readonly fanIn: number;
  readonly fanOut: number;
  readonly group: string;
}

/**
 * A non-trainable tensor carried from step to step (batch-norm running statistics). The graph reads it as
 * input `name` and, in training graphs, writes its next value to output `name__next`.
 */
export interface BufferSpec {
  readonly name: string;
  readonly shape: readonly number[];
  readonly initValue: number;
}

/**
 * Collects the dense parameters of a model while its graph is built. Layers ask it for parameters; it
 * declares them as graph inputs and remembers how to initialise them.
 */
export class ParamScope {
  readonly params: ParamSpec[] = [];
  readonly buffers: BufferSpec[] = [];
  /** Next values of buffers computed in training mode (name -> value). */
  readonly bufferUpdates = new Map<string, Value>();
  readonly values = new Map<string, Value>();

  constructor(
    readonly g: Graph,
    readonly dtype: FloatType = 'float32',
    readonly group = 'deep',
  ) {}

  /** Declares a parameter (a graph input) and returns its value. */
  param(name: string, shape: readonly number[], init: InitKind, fans: { fanIn: number; fanOut: number }): Value {
    if (this.values.has(name)) throw new WideDeepError('GRAPH', `parameter ${name} is declared twice`);
    const v = this.g.input(name, this.dtype, shape as Shape);
    this.params.push({ name, shape: [...shape], init, fanIn: fans.fanIn, fanOut: fans.fanOut, group: this.group });
    this.values.set(name, v);
    return v;
  }

  /** Declares a non-trainable buffer (a graph input) and returns its value. */
  buffer(name: string, shape: readonly number[], initValue: number): Value {
    const v = this.g.input(name, this.dtype, shape as Shape);
    this.buffers.push({ name, shape: [...shape], initValue });
    this.values.set(name, v);
    return v;
  }

  /** A scope whose parameters belong to another group (same graph, same lists). */
  withGroup(group: string): ParamScope {
    const s = Object.create(this) as ParamScope;
    Object.defineProperty(s, 'group', { value: group });
    return s;
  }
}

/** Fills a new Float32Array for a parameter from its spec, drawing from `rng`. */
export function initParam(spec: ParamSpec, rng: Rng): Float32Array {
  const n = spec.shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  const { fanIn, fanOut } = spec;
  switch (spec.init) {
    case 'zeros':
      return out;
    case 'ones':
      return out.fill(1);
    case 'xavier_uniform': {
      const limit = Math.sqrt(6 / (fanIn + fanOut));
      for (let i = 0; i < n; i++) out[i] = (rng.uniform() * 2 - 1) * limit;
      return out;
    }
    case 'xavier_normal': {
      const std = Math.sqrt(2 / (fanIn + fanOut));
      for (let i = 0; i < n; i++) out[i] = rng.normal() * std;
      return out;
    }
    case 'he_uniform': {
      const limit = Math.sqrt(6 / fanIn);
      for (let i = 0; i < n; i++) out[i] = (rng.uniform() * 2 - 1) * limit;
      return out;
    }
    case 'he_normal': {
      const std = Math.sqrt(2 / fanIn);
      for (let i = 0; i < n; i++) out[i] = rng.normal() * std;
      return out;
    }
    case 'truncated_normal': {
      const std = 1 / Math.sqrt(fanIn);
      for (let i = 0; i < n; i++) out[i] = rng.truncatedNormal() * std;
      return out;
    }
  }
}
