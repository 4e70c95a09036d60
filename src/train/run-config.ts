import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { WideDeepError } from '../core/errors.js';
import { parseFeatureConfig } from '../features/config-parse.js';
import type { ResolvedConfig } from '../features/resolved.js';
import { type ModelConfig, parseModelConfig } from '../model/config.js';
import { type TrainConfig, parseTrainConfig } from './config.js';

/**
 * A whole run as one config file: where the data comes from, the feature columns, the model and the
 * training schedule. Every section is strict: an unknown key is an error naming it and the valid keys.
 */
const fileSource = z.strictObject({
  path: z.string().min(1),
  format: z.enum(['csv', 'parquet', 'jsonl']).optional(),
  delimiter: z.string().optional(),
  header: z.boolean().optional(),
  columnNames: z.array(z.string()).optional(),
  nullValues: z.array(z.string()).optional(),
  encoding: z.enum(['utf-8', 'latin-1', 'utf-16']).optional(),
  skipLines: z.number().int().nonnegative().optional(),
  columns: z.record(z.string(), z.union([z.enum(['numeric', 'categorical', 'list']), z.strictObject({ kind: z.literal('list'), separator: z.string() })])).optional(),
});

export const dataSchema = z.strictObject({
  /** A built-in dataset, or `files` for your own. */
  dataset: z.enum(['synthetic', 'adult', 'movielens-100k', 'criteo', 'files']),
  /** Where the built-in datasets live (default: $WIDEDEEP_DATA_DIR, else ../shared/data). */
  dataDir: z.string().optional(),
  /** Rows of the synthetic app-store log. */
  rows: z.number().int().positive().default(100_000),
  /** Overrides of the synthetic world (numUsers, numApps, pairWeight, ...; see src/data/synthetic-world.ts). */
  synthetic: z.record(z.string(), z.number()).default({}),
  /** Your training file (dataset: files). */
  train: fileSource.optional(),
  /** Your test file (dataset: files); without it a random testFraction of train is held out. */
  test: fileSource.optional(),
  /** Held-out test fraction where the dataset has no test split of its own. */
  testFraction: z.number().gt(0).lt(1).default(0.2),
  /** What to do with a malformed row: stop (error) or skip and count it. */
  onBadRow: z.enum(['error', 'skip']).default('error'),
});

export type DataConfig = z.output<typeof dataSchema>;

export interface RunConfig {
  readonly seed: number;
  readonly data: DataConfig;
  readonly features: ResolvedConfig;
  readonly model: ModelConfig;
  readonly train: TrainConfig;
  /** The config as written (kept in model bundles). */
  readonly raw: Record<string, unknown>;
}

const TOP_KEYS = ['seed', 'data', 'features', 'model', 'train', 'description'] as const;

/** Validates a run config given as plain data (`file` names it in errors). */
export function parseRunConfig(raw: unknown, file?: string): RunConfig {
  const where = file !== undefined ? { file } : {};
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new WideDeepError('CONFIG', 'a run config must be a mapping with data, features, model and train', { ...where, fix: 'see examples/*.yaml' });
  }
  const obj = raw as Record<string, unknown>;
  for (const k of Object.keys(obj)) {
    if (!(TOP_KEYS as readonly string[]).includes(k)) {
      throw new WideDeepError('CONFIG', `unknown key ${k}`, { ...where, field: k, fix: `valid top-level keys: ${TOP_KEYS.join(', ')}` });
    }
  }
  const seed = obj.seed ?? 42;
  if (typeof seed !== 'number' || !Number.isInteger(seed)) throw new WideDeepError('CONFIG', 'seed must be an integer', { ...where, field: 'seed' });
  const d = dataSchema.safeParse(obj.data);
  if (!d.success) {
    const i = d.error.issues[0];
    const keys = i && 'keys' in i ? ` (unknown: ${(i.keys as string[]).join(', ')})` : '';
    throw new WideDeepError('CONFIG', `invalid data section: ${i?.message}${keys}`, {
      ...where,
      field: ['data', ...(i?.path ?? []).map(String)].join('.'),
      fix: `valid keys: ${Object.keys(dataSchema.shape).join(', ')}`,
    });
  }
  if (d.data.dataset === 'files' && !d.data.train) {
    throw new WideDeepError('CONFIG', 'dataset: files needs data.train.path', { ...where, field: 'data.train' });
  }
  if (obj.features === undefined) throw new WideDeepError('CONFIG', 'the config has no features section', { ...where, field: 'features' });
  const withFile = <T>(f: () => T): T => {
    try {
      return f();
    } catch (err) {
      if (err instanceof WideDeepError && file !== undefined && err.details.file === undefined) {
        throw new WideDeepError(err.code, err.reason, { ...err.details, file }, { cause: err });
      }
      throw err;
    }
  };
  return {
    seed,
    data: d.data,
    features: withFile(() => parseFeatureConfig(obj.features, file !== undefined ? { file } : {})),
    model: withFile(() => parseModelConfig(obj.model)),
    train: withFile(() => parseTrainConfig(obj.train)),
    raw: obj,
  };
}

/** Reads a YAML (or JSON) run config file. */
export async function loadRunConfig(path: string): Promise<RunConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new WideDeepError('IO', `cannot read the config: ${(err as Error).message}`, { file: path, fix: 'check the --config path' });
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new WideDeepError('CONFIG', `not valid YAML: ${(err as Error).message}`, { file: path });
  }
  return parseRunConfig(raw, path);
}
