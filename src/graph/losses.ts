import { WideDeepError } from '../core/errors.js';
import type { Graph, Value } from './builder.js';
import * as op from './ops.js';

/** Objectives: sigmoid cross-entropy from logits, mean squared error, softmax cross-entropy. */
export type LossKind = 'bce' | 'mse' | 'softmax_ce';
export const LOSS_KINDS: readonly LossKind[] = ['bce', 'mse', 'softmax_ce'];

/**
 * The mean loss over the batch. `logits` and `labels` are [N, K] (K = 1 for bce and mse; labels one-hot for
 * softmax_ce). `weights`, when given, is [N, 1]: each example's loss is multiplied by its weight before the
 * mean over N (TensorFlow's SUM_OVER_BATCH_SIZE reduction).
 */
export function lossValue(g: Graph, kind: LossKind, logits: Value, labels: Value, weights: Value | null): Value {
  if (logits.shape.length !== 2 || labels.shape.length !== 2) {
    throw new WideDeepError('SHAPE', `loss needs [N, K] logits and labels, got ${logits.shape.length}-D and ${labels.shape.length}-D`);
  }
  let perExample: Value;
  switch (kind) {
    case 'bce': {
      // max(x, 0) - x*y + log(1 + exp(-|x|)): never overflows, exact in both tails.
      const t = g.scalar(1, logits.dtype === 'float64' ? 'float64' : 'float32');
      const softplusNegAbs = op.log(g, op.add(g, t, op.exp(g, op.neg(g, op.abs(g, logits)))));
      perExample = op.add(g, op.sub(g, op.relu(g, logits), op.mul(g, logits, labels)), softplusNegAbs);
      break;
    }
    case 'mse': {
      const d = op.sub(g, logits, labels);
      perExample = op.mul(g, d, d);
      break;
    }
    case 'softmax_ce':
      perExample = op.neg(g, op.reduceSum(g, op.mul(g, labels, op.logSoftmax(g, logits, 1)), [1], true));
      break;
  }
  if (weights) perExample = op.mul(g, perExample, weights);
  return op.reduceMean(g, perExample, [0, 1], false);
}

/**
 * d(lossValue)/d(logits) in closed form, [N, K]: w (sigmoid(x) - y) for bce, 2 w (x - y) for mse,
 * w (softmax(x) sum_k y - y) for softmax_ce, each over the mean's count (N K elements, N examples for
 * softmax_ce). The training step starts back-propagation here, as fused loss kernels do (PyTorch's
 * BCEWithLogits backward): a handful of nodes where differentiating lossValue's took some twenty, each a
 * dispatch of ONNX Runtime's over an [N, 1] tensor.
 */
export function lossGradient(g: Graph, kind: LossKind, logits: Value, labels: Value, weights: Value | null): Value {
  const ft = logits.dtype === 'float64' ? 'float64' : 'float32';
  let d: Value;
  // The values the mean is over: perExample's elements.
  let counted: Value = logits;
  switch (kind) {
    case 'bce':
      d = op.sub(g, op.sigmoid(g, logits), labels);
      break;
    case 'mse':
      d = op.mul(g, op.sub(g, logits, labels), g.scalar(2, ft));
      break;
    case 'softmax_ce': {
      const mass = op.reduceSum(g, labels, [1], true);
      d = op.sub(g, op.mul(g, op.softmax(g, logits, 1), mass), labels);
      counted = mass;
      break;
    }
  }
  if (weights) d = op.mul(g, d, weights);
  return op.div(g, d, op.cast(g, op.sizeOf(g, counted), ft));
}

/** What the logits mean as predictions: probabilities for bce / softmax_ce, values for mse. */
export function predictionOf(g: Graph, kind: LossKind, logits: Value): Value {
  if (kind === 'bce') return op.sigmoid(g, logits);
  if (kind === 'softmax_ce') return op.softmax(g, logits, 1);
  return op.identity(g, logits);
}
