import { z } from 'zod';
import { WideDeepError } from '../core/errors.js';
import type { Graph, Value } from './builder.js';
import * as op from './ops.js';

/**
 * Dense optimizers: their configuration, state slots and per-step scalars, and gradient clipping (a subgraph of
 * the training step). The update itself runs after the graph, on the gradients it returns
 * (src/runtime/dense-update.ts), so schedules never need a new session.
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
