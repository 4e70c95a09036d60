import { z } from 'zod';
import { WideDeepError } from '../core/errors.js';
import type { Graph, Value } from './builder.js';
import * as op from './ops.js';

/**
 * Dense optimizers as update subgraphs inside the training-step graph. Per-step scalars (learning rate,
 * Adam's bias corrections) are graph inputs, so schedules never need a new session.
 */
const sgd = z.strictObject({
  type: z.literal('sgd'),
  lr: z.number().positive(),
  momentum: z.number().min(0).max(1).default(0),
  weightDecay: z.number().min(0).default(0),
  /** Clip the group's gradients to this global L2 norm before the update (0: no clipping; Keras' clipnorm). */
  clipNorm: z.number().min(0).default(0),
});
const adagrad = z.strictObject({
  type: z.literal('adagrad'),
  lr: z.number().positive(),
  initialAccumulator: z.number().min(0).default(0.1),
  eps: z.number().min(0).default(1e-7),
  weightDecay: z.number().min(0).default(0),
  /** Clip the group's gradients to this global L2 norm before the update (0: no clipping; Keras' clipnorm). */
  clipNorm: z.number().min(0).default(0),
});
const adam = z.strictObject({
  type: z.literal('adam'),
  lr: z.number().positive(),
  beta1: z.number().min(0).max(1).default(0.9),
  beta2: z.number().min(0).max(1).default(0.999),
  eps: z.number().min(0).default(1e-8),
  weightDecay: z.number().min(0).default(0),
  /** Clip the group's gradients to this global L2 norm before the update (0: no clipping; Keras' clipnorm). */
  clipNorm: z.number().min(0).default(0),
});
export const denseOptimizerSchema = z.discriminatedUnion('type', [sgd, adagrad, adam]);
export type DenseOptimizerConfig = z.input<typeof denseOptimizerSchema>;
export type DenseOptimizerResolved = z.output<typeof denseOptimizerSchema>;

export function parseDenseOptimizer(config: unknown, field = 'optimizer'): DenseOptimizerResolved {
  const r = denseOptimizerSchema.safeParse(config);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const path = [field, ...(issue?.path ?? []).map(String)].join('.');
  throw new WideDeepError('CONFIG', `invalid dense optimizer: ${issue?.message ?? 'bad value'}`, {
    field: path,
    fix: 'use {type: sgd|adagrad|adam, lr, ...}: sgd takes momentum; adagrad initialAccumulator, eps; adam beta1, beta2, eps; all take weightDecay and clipNorm',
  });
}

/** Names of the optimizer's per-parameter state slots and their initial values. */
export function slotsOf(c: DenseOptimizerResolved): { name: string; init: number }[] {
  if (c.type === 'sgd') return c.momentum > 0 ? [{ name: 'momentum', init: 0 }] : [];
  if (c.type === 'adagrad') return [{ name: 'accum', init: c.initialAccumulator }];
  return [
    { name: 'm', init: 0 },
    { name: 'v', init: 0 },
  ];
}

/** Names of the per-step scalar inputs. */
export function hyperNamesOf(c: DenseOptimizerResolved): string[] {
  return c.type === 'adam' ? ['lr', 'eps'] : ['lr'];
}

/**
 * Values of the per-step scalars at 1-based `step` with learning rate `lr`. Adam's bias corrections are
 * folded into them: lr_t = lr * sqrt(1 - b2^t) / (1 - b1^t) and eps_t = eps * sqrt(1 - b2^t), so that
 * lr_t m / (sqrt(v) + eps_t) equals lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps) exactly.
 */
export function hyperValuesOf(c: DenseOptimizerResolved, step: number, lr: number): Record<string, number> {
  if (c.type !== 'adam') return { lr };
  const c2 = Math.sqrt(1 - c.beta2 ** step);
  return { lr: (lr * c2) / (1 - c.beta1 ** step), eps: c.eps * c2 };
}

/**
 * Scales a group's gradients so their global L2 norm is at most `maxNorm`:
 * g_i * maxNorm / max(norm, maxNorm), as TensorFlow's clip_by_global_norm.
 */
export function clipByGlobalNorm(g: Graph, grads: readonly Value[], maxNorm: number): Value[] {
  const first = grads[0];
  if (!first) return [];
  const t = first.dtype === 'float64' ? 'float64' : 'float32';
  let sq: Value | null = null;
  for (const d of grads) {
    const s = op.reduceSum(g, op.mul(g, d, d), d.shape.map((_, i) => i), false);
    sq = sq ? op.add(g, sq, s) : s;
  }
  const limit = g.scalar(maxNorm, t);
  const scale = op.div(g, limit, op.max(g, op.sqrt(g, sq as Value), limit));
  return grads.map((d) => op.mul(g, d, scale));
}

/**
 * Emits the update of parameter `p` with gradient `grad`. Rules (PyTorch's forms):
 * - sgd:     v = mu v + g;  p -= lr v   (p -= lr g without momentum)
 * - adagrad: a = a + g^2;   p -= lr g / (sqrt(a) + eps)
 * - adam:    m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;  p -= lr_t m / (sqrt(v) + eps_t)
 * where g includes weightDecay * p, and lr_t, eps_t carry the bias corrections (see hyperValuesOf).
 */
export function emitUpdate(
  g: Graph,
  c: DenseOptimizerResolved,
  p: Value,
  grad: Value,
  slots: readonly Value[],
  hyper: Readonly<Record<string, Value>>,
): { param: Value; slots: Value[] } {
  const t = p.dtype === 'float64' ? 'float64' : 'float32';
  const k = (x: number): Value => g.scalar(x, t);
  const lr = hyper.lr as Value;
  const gr = c.weightDecay > 0 ? op.add(g, grad, op.mul(g, p, k(c.weightDecay))) : grad;
  if (c.type === 'sgd') {
    if (c.momentum === 0) return { param: op.sub(g, p, op.mul(g, gr, lr)), slots: [] };
    const v = op.add(g, op.mul(g, slots[0] as Value, k(c.momentum)), gr);
    return { param: op.sub(g, p, op.mul(g, v, lr)), slots: [v] };
  }
  if (c.type === 'adagrad') {
    const a = op.add(g, slots[0] as Value, op.mul(g, gr, gr));
    const step = op.div(g, op.mul(g, gr, lr), op.add(g, op.sqrt(g, a), k(c.eps)));
    return { param: op.sub(g, p, step), slots: [a] };
  }
  const m = op.add(g, op.mul(g, slots[0] as Value, k(c.beta1)), op.mul(g, gr, k(1 - c.beta1)));
  const v = op.add(g, op.mul(g, slots[1] as Value, k(c.beta2)), op.mul(g, op.mul(g, gr, gr), k(1 - c.beta2)));
  const step = op.div(g, op.mul(g, m, lr), op.add(g, op.sqrt(g, v), hyper.eps as Value));
  return { param: op.sub(g, p, step), slots: [m, v] };
}
