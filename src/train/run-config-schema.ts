import { z } from 'zod';
import { columnSchemas, featureConfigSchema, labelSchemas } from '../features/config-schema.js';
import { modelSchema } from '../model/config.js';
import { ROW_OPTIMIZER_DEFAULTS, type RowOptimizerConfig, type RowOptimizerType } from '../sparse/index.js';
import { trainSchema } from './config.js';
import { dataSchema } from './run-config.js';
import { SCHEDULE_SCHEMAS, type Schedule } from './schedules.js';

/**
 * A whole run config as one zod schema: the typed input of `parseRunConfig` (RunConfigInput) and the source
 * of the JSON Schema that editors check config files against (schema/widedeep-config.schema.json, written by
 * `npm run schema`). parseRunConfig still parses section by section, for errors that name the section's keys;
 * test/train/run-config-schema.test.ts checks that both accept every example and know the same keys.
 */
const columnSchema = z.discriminatedUnion('type', Object.values(columnSchemas) as [(typeof columnSchemas)[keyof typeof columnSchemas], ...(typeof columnSchemas)[keyof typeof columnSchemas][]]);
const labelSchema = z.discriminatedUnion('kind', Object.values(labelSchemas) as [(typeof labelSchemas)[keyof typeof labelSchemas], ...(typeof labelSchemas)[keyof typeof labelSchemas][]]);

const positive = z.number().positive();
const nonNegative = z.number().nonnegative();
const unitInterval = z.number().min(0).lt(1);

/**
 * Each row optimizer's keys and their ranges, as parseRowOptimizerConfig (src/sparse/row-optimizer.ts) checks
 * them; that parser is plain code, so the config's zod schema only passes the value through to it, and a JSON
 * Schema generated from that would be an open object. The key lists are checked against the optimizer config
 * types here (`satisfies`), and test/train/run-config-json-schema.test.ts checks both accept the same values.
 * Not expressed: adagrad's "initialAccumulator or eps > 0" (parseRowOptimizerConfig still refuses both 0).
 */
const ROW_OPTIMIZER_RANGES = {
  ftrl: { alpha: positive, beta: nonNegative, l1: nonNegative, l2: nonNegative, initialAccumulator: nonNegative },
  adagrad: { lr: positive, initialAccumulator: nonNegative, eps: nonNegative, weightDecay: nonNegative },
  'lazy-adam': { lr: positive, beta1: unitInterval, beta2: unitInterval, eps: positive, weightDecay: nonNegative },
  sgd: { lr: positive, weightDecay: nonNegative },
} satisfies { readonly [T in RowOptimizerType]: Record<Exclude<keyof OptimizerOf<T>, 'type'>, z.ZodNumber> };

type OptimizerOf<T extends RowOptimizerType> = Extract<RowOptimizerConfig, { type: T }>;
type Ranges = typeof ROW_OPTIMIZER_RANGES;

/** One type's object: `type`, then each of its keys with its range and default (ROW_OPTIMIZER_DEFAULTS). */
function rowOptimizerVariant<T extends RowOptimizerType>(type: T) {
  const defaults = new Map<string, unknown>(Object.entries(ROW_OPTIMIZER_DEFAULTS[type]));
  const ranges: [string, z.ZodNumber][] = Object.entries(ROW_OPTIMIZER_RANGES[type]);
  const keys = ranges.map(([k, v]) => [k, v.default(defaults.get(k) as number)] as const);
  const shape = Object.fromEntries(keys) as { [K in keyof Ranges[T]]: z.ZodDefault<z.ZodNumber> };
  return z.strictObject({ type: z.literal(type), ...shape });
}

/** A row optimizer (model.optimizers.wide / embeddings) as written: its type, then any of that type's keys. */
const rowOptimizerInputSchema = z.discriminatedUnion('type', [
  rowOptimizerVariant('ftrl'),
  rowOptimizerVariant('adagrad'),
  rowOptimizerVariant('lazy-adam'),
  rowOptimizerVariant('sgd'),
]);

/** train.schedule as written: the kinds and keys parseSchedule (src/train/schedules.ts) accepts, from its own schemas. */
const scheduleInputSchema = z.discriminatedUnion('kind', [
  SCHEDULE_SCHEMAS.constant,
  SCHEDULE_SCHEMAS.step,
  SCHEDULE_SCHEMAS.exponential,
  SCHEDULE_SCHEMAS.cosine,
]) satisfies z.ZodType<Schedule>;

const modelInputSchema = modelSchema.extend({
  optimizers: modelSchema.shape.optimizers
    .unwrap()
    .extend({
      wide: rowOptimizerInputSchema
        .optional()
        .describe("The wide part's row optimizer. Default { type: ftrl } (alpha 0.05, beta 1, l1 0, l2 0)."),
      embeddings: rowOptimizerInputSchema
        .optional()
        .describe("The embedding tables' row optimizer. Default { type: adagrad, lr: 0.05 }."),
    })
    .prefault({}),
});

const trainInputSchema = trainSchema.extend({
  schedule: scheduleInputSchema
    .optional()
    .describe("Learning-rate schedule applied to every group's base rate. Default { kind: constant }."),
});

export const runConfigSchema = z.strictObject({
  description: z.string().optional().describe('One line saying what the config is for.'),
  seed: z.number().int().optional().describe('Seed of every random choice (splits, initialisation, shuffling). Default 42.'),
  data: dataSchema.describe('Where the rows come from: a built-in dataset, or dataset: files and your own (docs/CONFIG.md).'),
  features: featureConfigSchema
    .extend({ columns: z.array(columnSchema).min(1), label: labelSchema.optional() })
    .describe('The feature columns and the label (docs/FEATURES.md).'),
  model: modelInputSchema.optional().describe('Which parts to train, the deep network, one optimizer per parameter group (docs/CONFIG.md).'),
  train: trainInputSchema.optional().describe('Epochs, batches, validation, early stopping, refit (docs/CONFIG.md).'),
});

/** A run config as written (YAML, JSON or a TypeScript object): what `parseRunConfig` takes. */
export type RunConfigInput = z.input<typeof runConfigSchema>;

/** The JSON Schema (draft 2020-12) of a run config file, generated from the zod schemas. */
export function runConfigJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(runConfigSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return { ...schema, title: 'widedeep run config' };
}

/** The schema file's text, as `npm run schema` writes it. */
export function runConfigJsonSchemaText(): string {
  return `${JSON.stringify(runConfigJsonSchema(), null, 2)}\n`;
}
