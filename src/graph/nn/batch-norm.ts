import type { Graph, Value } from '../builder.js';
import * as op from '../ops.js';
import type { ParamScope } from '../params.js';
import { bool, configObject, expectRank, floatType, numberIn, staticDim } from './config.js';

export interface BatchNormConfig {
  /** Running statistics follow `running = momentum * running + (1 - momentum) * batch` (TF/Keras; default 0.99). */
  readonly momentum?: number;
  /** Added to the variance before the square root (default 1e-3, as Keras). */
  readonly eps?: number;
  /** Batch statistics and buffer updates (true) or running statistics (false, the default). */
  readonly training?: boolean;
}

/**
 * Batch normalisation of x [N, C] over the batch axis: y = (x - mean) / sqrt(var + eps) * gamma + beta.
 *
 * Parameters `<name>.gamma` (ones) and `<name>.beta` (zeros); buffers `<name>.running_mean` (0) and
 * `<name>.running_var` (1). In training mode it normalises with the batch mean and the biased batch
 * variance, and records the next running values in `scope.bufferUpdates`; the running variance is updated
 * with the unbiased batch variance (times N / (N - 1), as PyTorch does; N = 1 contributes variance 0). In
 * inference mode it normalises with the running statistics.
 */
export function batchNorm(scope: ParamScope, name: string, x: Value, config: BatchNormConfig = {}): Value {
  const c = configObject(config, name, ['momentum', 'eps', 'training']);
  const momentum = numberIn(c, 'momentum', name, 0.99, (v) => v >= 0 && v <= 1, 'a number in [0, 1]');
  const eps = numberIn(c, 'eps', name, 1e-3, (v) => v > 0, 'a number > 0');
  const training = bool(c, 'training', name, false);
  const layer = `batchNorm ${name}`;
  expectRank(x, 2, layer);
  const dt = floatType(x, layer);
  const ch = staticDim(x, 1, layer);
  const g = scope.g;
  const fans = { fanIn: ch, fanOut: ch };
  const gamma = scope.param(`${name}.gamma`, [ch], 'ones', fans);
  const beta = scope.param(`${name}.beta`, [ch], 'zeros', fans);
  const meanName = `${name}.running_mean`;
  const varName = `${name}.running_var`;
  const runMean = scope.buffer(meanName, [ch], 0);
  const runVar = scope.buffer(varName, [ch], 1);
  const normalise = (centred: Value, variance: Value): Value => {
    const scale = op.mul(g, gamma, op.reciprocal(g, op.sqrt(g, op.add(g, variance, g.scalar(eps, dt)))));
    return op.add(g, op.mul(g, centred, scale), beta);
  };
  if (!training) return normalise(op.sub(g, x, runMean), runVar);

  const mean = op.reduceMean(g, x, [0]);
  const centred = op.sub(g, x, mean);
  const variance = op.reduceMean(g, op.mul(g, centred, centred), [0]);
  const n = batchSize(g, x, dt);
  const unbiased = op.mul(g, variance, op.div(g, n, op.max(g, op.sub(g, n, g.scalar(1, dt)), g.scalar(1, dt))));
  const keep = g.scalar(momentum, dt);
  const take = g.scalar(1 - momentum, dt);
  scope.bufferUpdates.set(meanName, op.add(g, op.mul(g, runMean, keep), op.mul(g, mean, take)));
  scope.bufferUpdates.set(varName, op.add(g, op.mul(g, runVar, keep), op.mul(g, unbiased, take)));
  return normalise(centred, variance);
}

/** N (axis 0 of x) as a float: a constant when static, read from the runtime shape when symbolic. */
function batchSize(g: Graph, x: Value, dt: 'float32' | 'float64'): Value {
  const d = x.shape[0];
  if (typeof d === 'number') return g.scalar(d, dt);
  return op.cast(g, op.gather(g, op.shapeOf(g, x), g.int64s([0])), dt);
}
