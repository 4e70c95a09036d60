import type { Dim, Value } from '../builder.js';
import type { InitKind, ParamScope } from '../params.js';
import { batchNorm } from './batch-norm.js';
import { bool, configObject, expectRank, initKind, numberIn, oneOf, positiveInt, positiveInts } from './config.js';
import { dropout } from './dropout.js';
import { ACTIVATIONS, type ActivationKind, activation, linear } from './linear.js';

/**
 * A multi-layer perceptron. Each hidden layer is Linear -> BatchNorm (if `batchNorm`) -> activation ->
 * Dropout (if `dropout` > 0 and training). With batch norm the hidden Linear has no bias (beta replaces it).
 */
export interface MlpConfig {
  /** Widths of the hidden layers, each >= 1 (may be empty). */
  readonly hidden: readonly number[];
  /** Activation of the hidden layers (default `relu`). */
  readonly activation?: ActivationKind;
  /** Dropout rate in [0, 1) after every hidden layer (default 0: none). */
  readonly dropout?: number;
  /** Batch normalisation before each hidden activation (default false; momentum 0.99, eps 1e-3). */
  readonly batchNorm?: boolean;
  /** Initializer of every weight matrix (default `xavier_uniform`). */
  readonly init?: InitKind;
  /**
   * Width of an optional final Linear layer without activation, e.g. 1 for a logit. Default: none, and the
   * Wide & Deep model adds the joint logit layer itself.
   */
  readonly outputUnits?: number;
  /** Training graph (batch statistics, dropout masks) or inference graph (default false). */
  readonly training?: boolean;
}

/** A dropout mask input the caller must feed each training step: shape [N, width], see `fillDropoutMask`. */
export interface DropoutInput {
  readonly name: string;
  readonly width: number;
  readonly rate: number;
}

export interface MlpResult {
  /** The output [N, last hidden width] (or [N, outputUnits]). */
  readonly out: Value;
  /** The mask inputs this MLP declared, in layer order (empty in inference graphs or without dropout). */
  readonly dropoutInputs: readonly DropoutInput[];
}

const KEYS = ['hidden', 'activation', 'dropout', 'batchNorm', 'init', 'outputUnits', 'training'];

/**
 * Builds the MLP on x [N, in]. Layer `i` declares `<name>.<i>.weight` / `.bias`, `<name>.<i>.bn.*` and the
 * mask input `<name>.<i>.dropout_mask`; the output layer is `<name>.out`.
 */
export function mlp(scope: ParamScope, name: string, x: Value, config: MlpConfig): MlpResult {
  const c = configObject(config, name, KEYS);
  const hidden = positiveInts(c, 'hidden', name);
  const act = oneOf(c, 'activation', name, ACTIVATIONS, 'relu');
  const rate = numberIn(c, 'dropout', name, 0, (v) => v >= 0 && v < 1, 'a rate in [0, 1)');
  const useBn = bool(c, 'batchNorm', name, false);
  const init = initKind(c, name);
  const outputUnits = c['outputUnits'] === undefined ? undefined : positiveInt(c, 'outputUnits', name);
  const training = bool(c, 'training', name, false);
  expectRank(x, 2, `mlp ${name}`);

  const dropoutInputs: DropoutInput[] = [];
  let h = x;
  hidden.forEach((units, i) => {
    const layer = `${name}.${i}`;
    h = linear(scope, layer, h, { units, init, bias: !useBn });
    if (useBn) h = batchNorm(scope, `${layer}.bn`, h, { training });
    h = activation(scope.g, h, act);
    if (training && rate > 0) {
      const maskName = `${layer}.dropout_mask`;
      const mask = scope.g.input(maskName, h.dtype, [x.shape[0] as Dim, units]);
      dropoutInputs.push({ name: maskName, width: units, rate });
      h = dropout(scope.g, h, mask);
    }
  });
  if (outputUnits !== undefined) h = linear(scope, `${name}.out`, h, { units: outputUnits, init });
  return { out: h, dropoutInputs };
}
