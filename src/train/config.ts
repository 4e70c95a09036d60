import { z } from 'zod';
import { WideDeepError } from '../core/errors.js';
import { parseSchedule } from './schedules.js';

/** The `train` section of a config: how long, in what batches, when to evaluate and stop. */
export const trainSchema = z.strictObject({
  epochs: z.number().int().positive().default(10),
  /** Stop after this many steps even mid-epoch (0 = no limit). */
  maxSteps: z.number().int().nonnegative().default(0),
  batchSize: z.number().int().positive().default(256),
  /** Learning-rate schedule applied to every group's base rate. */
  schedule: z.unknown().optional().transform((v) => parseSchedule(v ?? { kind: 'constant' }, 'train.schedule')),
  /** Evaluate on the validation split every epoch (0) or every N steps. */
  evalEverySteps: z.number().int().nonnegative().default(0),
  earlyStopping: z
    .strictObject({
      metric: z.string().default('auc'),
      mode: z.enum(['max', 'min']).default('max'),
      patience: z.number().int().nonnegative().default(2),
      restoreBest: z.boolean().default(true),
    })
    .optional(),
  /** Fraction of the training data held out for validation (0 = none). */
  validationFraction: z.number().min(0).lt(1).default(0.1),
  /** Keep a checkpoint after every epoch (needed for --resume). */
  checkpoint: z.boolean().default(true),
});

export type TrainConfigInput = z.input<typeof trainSchema>;
export type TrainConfig = z.output<typeof trainSchema>;

export function parseTrainConfig(raw: unknown, field = 'train'): TrainConfig {
  const r = trainSchema.safeParse(raw ?? {});
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const keys = issue && 'keys' in issue ? ` (unknown: ${(issue.keys as string[]).join(', ')})` : '';
  throw new WideDeepError('CONFIG', `invalid train config: ${issue?.message ?? 'bad value'}${keys}`, {
    field: [field, ...(issue?.path ?? []).map(String)].join('.'),
    fix: `valid keys: ${Object.keys(trainSchema.shape).join(', ')}`,
  });
}
