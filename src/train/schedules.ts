import { z } from 'zod';
import { WideDeepError } from '../core/errors.js';

/**
 * Learning-rate schedules as plain config data, and the pure function that reads them.
 *
 * Steps are 0-based: the update with index `step` uses `lrAt(schedule, baseLr, step, totalSteps)`.
 * Every kind accepts `warmupSteps` (W, default 0). During warm-up the rate rises linearly,
 * lr = baseLr * (step + 1) / W for step < W (so the first update is not wasted at lr 0, and step W - 1 reaches
 * baseLr). After warm-up the decay runs on the shifted clock t = step - W over T = totalSteps - W steps:
 *
 * - constant:    lr = baseLr
 * - step:        lr = baseLr * gamma ^ floor(t / stepSize)
 * - exponential: lr = baseLr * gamma ^ (t / decaySteps)          (decaySteps defaults to 1: gamma per step)
 * - cosine:      lr = minLr + (baseLr - minLr) * (1 + cos(pi * min(t, T) / T)) / 2   (stays at minLr after T)
 */
const warmupSteps = z.number().int().nonnegative().optional();
const gamma = z.number().positive().max(1);

/** One strict schema per schedule kind: parseSchedule checks with them, and the run config's JSON Schema is made of them. */
export const SCHEDULE_SCHEMAS = {
  constant: z.strictObject({ kind: z.literal('constant'), warmupSteps }),
  step: z.strictObject({ kind: z.literal('step'), stepSize: z.number().int().positive(), gamma, warmupSteps }),
  exponential: z.strictObject({
    kind: z.literal('exponential'),
    gamma,
    decaySteps: z.number().positive().optional(),
    warmupSteps,
  }),
  cosine: z.strictObject({ kind: z.literal('cosine'), minLr: z.number().nonnegative().optional(), warmupSteps }),
} as const;

export type ScheduleKind = keyof typeof SCHEDULE_SCHEMAS;
export const SCHEDULE_KINDS = Object.keys(SCHEDULE_SCHEMAS) as readonly ScheduleKind[];
export type ConstantSchedule = z.infer<(typeof SCHEDULE_SCHEMAS)['constant']>;
export type StepSchedule = z.infer<(typeof SCHEDULE_SCHEMAS)['step']>;
export type ExponentialSchedule = z.infer<(typeof SCHEDULE_SCHEMAS)['exponential']>;
export type CosineSchedule = z.infer<(typeof SCHEDULE_SCHEMAS)['cosine']>;
export type Schedule = ConstantSchedule | StepSchedule | ExponentialSchedule | CosineSchedule;

/** Decay factor (times baseLr) or absolute rate for each kind, on the shifted clock t of T steps. */
const DECAY: { readonly [K in ScheduleKind]: (s: Extract<Schedule, { kind: K }>, baseLr: number, t: number, T: number) => number } = {
  constant: (_s, baseLr) => baseLr,
  step: (s, baseLr, t) => baseLr * s.gamma ** Math.floor(t / s.stepSize),
  exponential: (s, baseLr, t) => baseLr * s.gamma ** (t / (s.decaySteps ?? 1)),
  cosine: (s, baseLr, t, T) => {
    const minLr = s.minLr ?? 0;
    return minLr + ((baseLr - minLr) * (1 + Math.cos((Math.PI * Math.min(t, T)) / T))) / 2;
  },
};

/**
 * Parses a schedule config (e.g. from JSON or YAML) at the boundary. Unknown kinds and unknown keys are
 * CONFIG errors that list the valid kinds / keys; `path` prefixes the field in messages.
 */
export function parseSchedule(input: unknown, path = 'schedule'): Schedule {
  const kind = typeof input === 'object' && input !== null ? (input as { kind?: unknown }).kind : undefined;
  if (typeof kind !== 'string' || !Object.hasOwn(SCHEDULE_SCHEMAS, kind)) {
    throw new WideDeepError('CONFIG', `unknown schedule kind ${JSON.stringify(kind)}`, {
      field: `${path}.kind`,
      fix: `set kind to one of ${SCHEDULE_KINDS.join(', ')}`,
    });
  }
  const schema = SCHEDULE_SCHEMAS[kind as ScheduleKind];
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const validKeys = Object.keys(schema.shape).join(', ');
  const issue = parsed.error.issues.find((i) => i.code === 'unrecognized_keys') ?? parsed.error.issues[0];
  if (issue === undefined) throw new WideDeepError('INTERNAL', 'schedule parse failed without an issue');
  if (issue.code === 'unrecognized_keys') {
    throw new WideDeepError('CONFIG', `unknown key(s) ${issue.keys.join(', ')} in a '${kind}' schedule`, {
      field: `${path}.${issue.keys[0] ?? ''}`,
      fix: `valid keys for kind '${kind}' are ${validKeys}`,
    });
  }
  throw new WideDeepError('CONFIG', `invalid '${kind}' schedule: ${issue.message}`, {
    field: [path, ...issue.path.map(String)].join('.'),
    fix: `valid keys for kind '${kind}' are ${validKeys}`,
  });
}

/** The learning rate of update `step` (0-based) out of `totalSteps`. Validates its arguments; pure. */
export function lrAt(schedule: Schedule, baseLr: number, step: number, totalSteps: number): number {
  const s = parseSchedule(schedule);
  if (!(Number.isFinite(baseLr) && baseLr >= 0)) {
    throw new WideDeepError('CONFIG', `baseLr must be a finite number >= 0, got ${baseLr}`, { field: 'baseLr' });
  }
  if (!(Number.isInteger(totalSteps) && totalSteps >= 1)) {
    throw new WideDeepError('CONFIG', `totalSteps must be a positive integer, got ${totalSteps}`, { field: 'totalSteps' });
  }
  if (!(Number.isInteger(step) && step >= 0)) {
    throw new WideDeepError('CONFIG', `step must be an integer >= 0, got ${step}`, { field: 'step' });
  }
  const warmup = s.warmupSteps ?? 0;
  if (s.kind === 'cosine') {
    // Cosine is the one kind whose shape depends on the horizon, so it needs decay steps after warm-up.
    if (warmup >= totalSteps) {
      throw new WideDeepError('CONFIG', `cosine warmupSteps (${warmup}) must be less than totalSteps (${totalSteps})`, {
        field: 'schedule.warmupSteps',
      });
    }
    if ((s.minLr ?? 0) > baseLr) {
      throw new WideDeepError('CONFIG', `cosine minLr (${s.minLr}) must not exceed baseLr (${baseLr})`, { field: 'schedule.minLr' });
    }
  }
  if (step < warmup) return (baseLr * (step + 1)) / warmup;
  const decay = DECAY[s.kind] as (s: Schedule, baseLr: number, t: number, T: number) => number;
  return decay(s, baseLr, step - warmup, totalSteps - warmup);
}
