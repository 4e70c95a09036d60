import { WideDeepError } from '../core/errors.js';
import { type FloatType, Graph, type Value } from './builder.js';
import { gradients } from './autodiff.js';
import { encodeModel } from './encode.js';
import { type LossKind, lossGradient, lossValue, predictionOf } from './losses.js';
import { type DenseOptimizerResolved, clipByGlobalNorm, slotsOf } from './optimizers.js';
import { type BufferSpec, ParamScope, type ParamSpec } from './params.js';

/**
 * Builds the dense part of a model on a ParamScope: declares its data inputs with `scope.g.input(...)` and
 * its parameters with `scope.param(...)`, and returns the logits [N, K]. Called once for the training graph
 * (training = true: dropout masks, batch statistics) and once for the inference graph.
 */
/**
 * Builds the forward pass into `scope.g`. `given`: values to use in place of data inputs of those names (an
 * exported graph computes the wide logit and the embedding block in the graph itself).
 */
export type ForwardBuilder = (scope: ParamScope, training: boolean, given?: ReadonlyMap<string, Value>) => Value;

export interface StepProgramSpec {
  readonly forward: ForwardBuilder;
  readonly loss: LossKind;
  /** Optimizer of every parameter group the forward pass declares. */
  readonly optimizers: Readonly<Record<string, DenseOptimizerResolved>>;
  /** Data inputs whose gradients the step returns (the gathered embedding block, the wide logit). */
  readonly gradInputs?: readonly string[];
  /** Adds an input `weights` [N, 1] of per-example loss weights. */
  readonly weighted?: boolean;
  readonly dtype?: FloatType;
}

export interface SlotSpec {
  readonly name: string;
  readonly param: string;
  readonly shape: readonly number[];
  readonly init: number;
}

export interface ForwardProgram {
  readonly model: Uint8Array;
  readonly params: readonly ParamSpec[];
  readonly buffers: readonly BufferSpec[];
  /** Inputs fed per batch (everything but parameters and buffers). */
  readonly dataInputs: readonly Value[];
  readonly logitsShape: readonly (number | string)[];
}

export interface StepProgram extends ForwardProgram {
  /** The optimizer state of each parameter, kept and updated outside the graph (runtime/dense-state.ts). */
  readonly slots: readonly SlotSpec[];
  readonly gradInputs: readonly string[];
  readonly loss: LossKind;
  readonly optimizers: Readonly<Record<string, DenseOptimizerResolved>>;
}

/** Output names of a training step. */
export const next = (name: string): string => `${name}__next`;
export const gradOf = (name: string): string => `d_${name}`;

function dataInputsOf(g: Graph, scope: ParamScope, exclude: ReadonlySet<string>): Value[] {
  return g.inputs.filter((v) => !scope.values.has(v.name) && !exclude.has(v.name));
}

/**
 * The inference graph: data inputs and parameters in, `logits` and `prediction` out. Parameters stay graph
 * inputs so a training process can score with its current weights without rebuilding anything.
 */
export function buildForward(spec: Pick<StepProgramSpec, 'forward' | 'loss' | 'dtype'>): ForwardProgram {
  const g = new Graph('widedeep_forward');
  const scope = new ParamScope(g, spec.dtype ?? 'float32');
  const logits = spec.forward(scope, false);
  g.output(logits, 'logits');
  g.output(predictionOf(g, spec.loss, logits), 'prediction');
  return {
    model: encodeModel(g, 'widedeep inference graph'),
    params: scope.params,
    buffers: scope.buffers,
    dataInputs: dataInputsOf(g, scope, new Set()),
    logitsShape: logits.shape,
  };
}

/**
 * One training step as one graph: forward, loss, backward through every parameter and every `gradInputs`
 * data input, and each group's gradients clipped to its `clipNorm`. Inputs: data, `labels` [N, K],
 * (`weights` [N, 1]), parameters, buffers. Outputs: `loss`, `logits`, `gradOf(param)`, `next(buffer)` and
 * `gradOf(input)`. The optimizer update follows on the host (runtime/dense-state.ts); `slots` names its state.
 */
export function buildTrainStep(spec: StepProgramSpec): StepProgram {
  const dtype = spec.dtype ?? 'float32';
  const g = new Graph('widedeep_train_step');
  const scope = new ParamScope(g, dtype);
  const logits = spec.forward(scope, true);
  const labels = g.input('labels', dtype, logits.shape);
  const weights = spec.weighted ? g.input('weights', dtype, [logits.shape[0] as string | number, 1]) : null;
  const loss = lossValue(g, spec.loss, logits, labels, weights);
  g.output(loss, 'loss');
  g.output(logits, 'logits');

  const gradInputs = spec.gradInputs ?? [];
  const inputByName = new Map(g.inputs.map((v) => [v.name, v]));
  const gradTargets = gradInputs.map((n) => {
    const v = inputByName.get(n);
    if (!v) throw new WideDeepError('GRAPH', `gradInputs names ${n}, which is not an input of the forward graph`);
    return v;
  });
  const paramValues = scope.params.map((p) => scope.values.get(p.name) as Value);
  // Back-propagation starts at the logits, from the loss's gradient in closed form (not through its nodes).
  const grads = gradients(g, logits, [...paramValues, ...gradTargets], lossGradient(g, spec.loss, logits, labels, weights));
  for (const [group, c] of Object.entries(spec.optimizers)) {
    if (c.clipNorm <= 0) continue;
    const idx = scope.params.flatMap((p, i) => (p.group === group ? [i] : []));
    const clipped = clipByGlobalNorm(g, idx.map((i) => grads[i] as Value), c.clipNorm);
    idx.forEach((i, k) => (grads[i] = clipped[k] as Value));
  }

  const slots: SlotSpec[] = [];
  scope.params.forEach((p, i) => {
    const c = spec.optimizers[p.group];
    if (!c) throw new WideDeepError('CONFIG', `no optimizer for parameter group ${p.group}`, { field: `optimizers.${p.group}` });
    for (const s of slotsOf(c)) slots.push({ name: `${p.name}__${s.name}`, param: p.name, shape: p.shape, init: s.init });
    g.output(grads[i] as Value, gradOf(p.name));
  });
  for (const b of scope.buffers) {
    const upd = scope.bufferUpdates.get(b.name);
    if (!upd) throw new WideDeepError('GRAPH', `buffer ${b.name} has no update in the training graph`);
    g.output(upd, next(b.name));
  }
  gradTargets.forEach((v, k) => g.output(grads[scope.params.length + k] as Value, gradOf(v.name)));

  return {
    model: encodeModel(g, 'widedeep training step'),
    params: scope.params,
    buffers: scope.buffers,
    slots,
    gradInputs,
    loss: spec.loss,
    optimizers: spec.optimizers,
    dataInputs: dataInputsOf(g, scope, new Set(['labels', 'weights'])),
    logitsShape: logits.shape,
  };
}
