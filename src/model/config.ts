import { z } from 'zod';
import { WideDeepError } from '../core/errors.js';
import { denseOptimizerSchema } from '../graph/optimizers.js';
import { INIT_KINDS, type InitKind } from '../graph/params.js';
import { parseRowOptimizerConfig } from '../sparse/index.js';

/**
 * The model section of a widedeep config: which parts to train, the deep network, and one optimizer per
 * parameter group (wide, embeddings, deep). Plain data; unknown keys are errors.
 */
const initKind = z.enum(INIT_KINDS as [InitKind, ...InitKind[]]);

export const mlpSchema = z.strictObject({
  type: z.literal('mlp'),
  hidden: z.array(z.number().int().positive()).default([100, 50]),
  activation: z.enum(['relu', 'sigmoid', 'tanh']).default('relu'),
  dropout: z.number().min(0).lt(1).default(0),
  batchNorm: z.boolean().default(false),
  init: initKind.default('xavier_uniform'),
});

export const gruSchema = z.strictObject({
  type: z.literal('gru'),
  /** Key of the sequence feature the GRU reads (e.g. the user's history). */
  sequence: z.string().min(1),
  hidden: z.number().int().positive().default(64),
  /** The MLP head over [GRU state | other embeddings | numerics]. */
  head: mlpSchema.omit({ type: true }).default({ hidden: [64], activation: 'relu', dropout: 0, batchNorm: false, init: 'xavier_uniform' }),
  init: initKind.default('xavier_uniform'),
});

/** A row-sparse optimizer config, checked by the sparse module's own parser (errors name the key). */
const rowOptimizer = (path: string, dflt: Record<string, unknown>) =>
  z.unknown().optional().transform((v) => parseRowOptimizerConfig(v ?? dflt, path));

export const modelSchema = z.strictObject({
  kind: z.enum(['wide', 'deep', 'wide_deep']).default('wide_deep'),
  deep: z.discriminatedUnion('type', [mlpSchema, gruSchema]).default({
    type: 'mlp',
    hidden: [100, 50],
    activation: 'relu',
    dropout: 0,
    batchNorm: false,
    init: 'xavier_uniform',
  }),
  embeddingInit: z.enum(['xavier-uniform', 'xavier-normal', 'truncated-normal']).default('xavier-uniform'),
  optimizers: z
    .strictObject({
      wide: rowOptimizer('model.optimizers.wide', { type: 'ftrl' }),
      embeddings: rowOptimizer('model.optimizers.embeddings', { type: 'adagrad', lr: 0.05 }),
      deep: denseOptimizerSchema.prefault({ type: 'adagrad', lr: 0.05 }),
    })
    .prefault({}),
});

export type ModelConfigInput = z.input<typeof modelSchema>;
export type ModelConfig = z.output<typeof modelSchema>;
export type MlpConfigResolved = z.output<typeof mlpSchema>;
export type GruConfigResolved = z.output<typeof gruSchema>;

/** Parses a model config, with errors that name the key path and the valid keys. */
export function parseModelConfig(raw: unknown, field = 'model'): ModelConfig {
  const r = modelSchema.safeParse(raw ?? {});
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const path = [field, ...(issue?.path ?? []).map(String)].join('.');
  const keys = issue && 'keys' in issue ? ` (unknown: ${(issue.keys as string[]).join(', ')})` : '';
  throw new WideDeepError('CONFIG', `invalid model config: ${issue?.message ?? 'bad value'}${keys}`, {
    field: path,
    fix: 'see docs/CONFIG.md for the model keys: kind, deep {type: mlp|gru, ...}, embeddingInit, optimizers {wide, embeddings, deep}',
  });
}
