import { z } from 'zod';
import { columnSchemas, featureConfigSchema, labelSchemas } from '../features/config-schema.js';
import { modelSchema } from '../model/config.js';
import { trainSchema } from './config.js';
import { dataSchema } from './run-config.js';

/**
 * A whole run config as one zod schema: the typed input of `parseRunConfig` (RunConfigInput) and the source
 * of the JSON Schema that editors check config files against (schema/widedeep-config.schema.json, written by
 * `npm run schema`). parseRunConfig still parses section by section, for errors that name the section's keys;
 * test/train/run-config-schema.test.ts checks that both accept every example and know the same keys.
 */
const columnSchema = z.discriminatedUnion('type', Object.values(columnSchemas) as [(typeof columnSchemas)[keyof typeof columnSchemas], ...(typeof columnSchemas)[keyof typeof columnSchemas][]]);
const labelSchema = z.discriminatedUnion('kind', Object.values(labelSchemas) as [(typeof labelSchemas)[keyof typeof labelSchemas], ...(typeof labelSchemas)[keyof typeof labelSchemas][]]);

export const runConfigSchema = z.strictObject({
  description: z.string().optional().describe('One line saying what the config is for.'),
  seed: z.number().int().optional().describe('Seed of every random choice (splits, initialisation, shuffling). Default 42.'),
  data: dataSchema.describe('Where the rows come from: a built-in dataset, or dataset: files and your own (docs/CONFIG.md).'),
  features: featureConfigSchema
    .extend({ columns: z.array(columnSchema).min(1), label: labelSchema.optional() })
    .describe('The feature columns and the label (docs/FEATURES.md).'),
  model: modelSchema.optional().describe('Which parts to train, the deep network, one optimizer per parameter group (docs/CONFIG.md).'),
  train: trainSchema.optional().describe('Epochs, batches, validation, early stopping, refit (docs/CONFIG.md).'),
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
