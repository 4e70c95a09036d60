import { z } from 'zod';
import { WideDeepError } from '../core/errors.js';
import { metricDirection } from '../metrics/index.js';
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
  /** Binary models: the decision threshold of accuracy, precision, recall and F1 (prediction >= threshold is positive). */
  threshold: z.number().gt(0).lt(1).default(0.5),
  /**
   * `mode` defaults to the metric's direction (src/metrics/direction.ts): min for logLoss, rmse, mae; max for
   * auc, accuracy, ndcg@10, ...; a metric without one (calibration, meanPrediction) needs it given.
   */
  earlyStopping: z
    .strictObject({
      metric: z.string().default('auc'),
      mode: z.enum(['max', 'min']).optional(),
      patience: z.number().int().nonnegative().default(2),
      restoreBest: z.boolean().default(true),
    })
    .transform(({ mode, ...es }, ctx) => {
      const resolved = mode ?? metricDirection(es.metric);
      if (resolved === undefined) {
        ctx.addIssue({ code: 'custom', path: ['mode'], message: `${es.metric} has no better direction: give mode: max or mode: min` });
        return z.NEVER;
      }
      return { ...es, mode: resolved };
    })
    .optional(),
  /** Fraction of the training data held out for validation (0 = none). */
  validationFraction: z.number().min(0).lt(1).default(0.1),
  /**
   * How the validation rows are chosen. `random`: a seeded random validationFraction of the training rows.
   * `per-user-time`: for every user, the last floor(n_u * validationFraction) of that user's training rows
   * by time, the way a per-user time split (MovieLens) holds out its test rows, so that validation asks
   * the question test asks (later ratings of known users), not a random sample of the past.
   */
  validationSplit: z.enum(['random', 'per-user-time']).default('random'),
  /**
   * After training with early stopping on the validation split, train a fresh model (same seed, same config)
   * on all training rows (train + validation, the feature spec refitted on them too) for the epochs early
   * stopping chose, and make it the final model: the validation rows are not thrown away once they have
   * served to pick the epoch count. Applies to fitRun (the CLI, experiments), not to `train` itself.
   */
  refit: z.boolean().default(false),
  /**
   * Exponential moving average of the weights (Polyak averaging, as TensorFlow's ExponentialMovingAverage and
   * Keras' `use_ema`): every step moves an average of each trainable weight (wide, embeddings, deep) by
   * (1 - decay) toward the new weight. Validation scores the averages, and at the end of training they
   * become the model's weights. Off when absent or null (null: to turn it off in an experiment grid).
   */
  ema: z.strictObject({ decay: z.number().gt(0).lt(1) }).nullable().optional(),
  /**
   * Weights every training row by its place in its user's history (recency-weights.ts), for data whose test
   * rows are each user's latest: later rows resemble them more. Needs a dataset with users and time
   * (movielens-100k, synthetic) read into memory. Off when absent or null.
   */
  recencyWeight: z
    .strictObject({ strength: z.number().gt(0), scheme: z.enum(['linear', 'exponential']).default('linear') })
    .nullable()
    .optional(),
  /** Keep a checkpoint after every epoch (needed for --resume). */
  checkpoint: z.boolean().default(true),
  /**
   * ONNX Runtime intra-op threads for training (fit, experiment trials). Absent: every available core, or one for
   * a tiny dense part (src/model/forward.ts, autoThreads). `--threads` wins over it. May change on --resume.
   */
  threads: z.number().int().positive().optional(),
  /**
   * Worker threads, beside the training thread, that gather and update the embedding tables and the wide
   * features' rows (each table, or wide feature, owned by one thread; src/sparse/lanes.ts); 0 for none. Absent: none while the embedding tables fit the caches
   * (under 8 MiB with their optimizer state), else one per core beside the training thread
   * (`defaultSparseWorkers`, src/model/sparse-workers.ts). The weights are the same bit for bit with any
   * count, so it may change on --resume.
   */
  sparseWorkers: z.number().int().min(0).max(63).optional(),
});

export type TrainConfigInput = z.input<typeof trainSchema>;
export type TrainConfig = z.output<typeof trainSchema>;

export function parseTrainConfig(raw: unknown, field = 'train'): TrainConfig {
  const r = trainSchema.safeParse(raw ?? {});
  if (r.success) {
    checkRefit(r.data, field);
    return r.data;
  }
  const issue = r.error.issues[0];
  const keys = issue && 'keys' in issue ? ` (unknown: ${(issue.keys as string[]).join(', ')})` : '';
  throw new WideDeepError('CONFIG', `invalid train config: ${issue?.message ?? 'bad value'}${keys}`, {
    field: [field, ...(issue?.path ?? []).map(String)].join('.'),
    fix: `valid keys: ${Object.keys(trainSchema.shape).join(', ')}`,
  });
}

/**
 * Refit takes its epoch count from early stopping's best epoch, so it needs early stopping and the
 * validation rows early stopping reads. maxSteps could cut the best epoch short, and an epoch of all the
 * training rows has more steps than one of the rest: the count would not carry over, so the two exclude
 * each other rather than refit guessing. (fitRun checks again: a RunConfig can be built without parsing.)
 */
export function checkRefit(c: TrainConfig, field = 'train'): void {
  if (!c.refit) return;
  const err = (why: string, fix: string): WideDeepError => new WideDeepError('CONFIG', `train.refit: ${why}`, { field: `${field}.refit`, fix });
  if (!c.earlyStopping) throw err('refit trains for the epochs early stopping chose, and there is no train.earlyStopping', 'add train.earlyStopping (e.g. { metric: auc, mode: max, patience: 2 }), or set train.refit: false');
  if (c.validationFraction === 0) throw err('refit needs a validation split to choose the epoch count, and train.validationFraction is 0', 'set train.validationFraction > 0 (e.g. 0.1), or set train.refit: false');
  if (c.maxSteps > 0) throw err('refit counts epochs, and train.maxSteps can stop training mid-epoch', 'set train.maxSteps: 0, or set train.refit: false');
}
