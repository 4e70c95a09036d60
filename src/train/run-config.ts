import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
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

/**
 * Stream mode (`data.stream`, datasets `files` and `criteo`): training reads the file in chunks every epoch
 * through a seeded shuffle buffer instead of loading it, so memory is bounded by these sizes, not the file.
 */
export const streamSchema = z.strictObject({
  /** Rows held by the seeded shuffle buffer of every epoch (1: file order; >= the training rows: a full shuffle). */
  shuffleBuffer: z.number().int().positive().default(100_000),
  /** Rows read, shuffled and transformed at a time. */
  chunkSize: z.number().int().positive().max(1 << 20).default(8192),
  /**
   * Validation rows kept in memory (transformed once) and scored after every epoch: the first ones in file
   * order. Further validation rows are still held out of fitting and training, but not scored.
   */
  maxValidationRows: z.number().int().nonnegative().default(100_000),
});

export type StreamConfig = z.output<typeof streamSchema>;

/** Datasets that stream mode applies to (their rows come from one file read in chunks). */
export const STREAM_DATASETS = ['files', 'criteo'] as const;

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
  /** Train from a stream of the file instead of loading it (files, criteo); see streamSchema. */
  stream: streamSchema.optional(),
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

/** The nested objects of the data section, for error messages that list the valid keys where the error is. */
const NESTED: Record<string, z.ZodObject> = { stream: streamSchema, train: fileSource, test: fileSource };

/** Where a data-section issue is: the nested object it is in (stream, train, test) or the section itself. */
function dataKeysAt(path: readonly string[]): { where: string; keys: string[] } {
  const head = path[0];
  if (head !== undefined && Object.hasOwn(NESTED, head)) return { where: `data.${head}`, keys: Object.keys((NESTED[head] as z.ZodObject).shape) };
  return { where: 'data', keys: Object.keys(dataSchema.shape) };
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
    const path = (i?.path ?? []).map(String);
    const at = dataKeysAt(path);
    throw new WideDeepError('CONFIG', `invalid data section: ${i?.message}${keys}`, {
      ...where,
      field: ['data', ...path].join('.'),
      fix: `valid keys${at.where === 'data' ? '' : ` of ${at.where}`}: ${at.keys.join(', ')}`,
    });
  }
  if (d.data.dataset === 'files' && !d.data.train) {
    throw new WideDeepError('CONFIG', 'dataset: files needs data.train.path', { ...where, field: 'data.train' });
  }
  if (d.data.stream !== undefined && !(STREAM_DATASETS as readonly string[]).includes(d.data.dataset)) {
    throw new WideDeepError('CONFIG', `data.stream applies to the datasets ${STREAM_DATASETS.join(' and ')}, not ${d.data.dataset}`, {
      ...where,
      field: 'data.stream',
      fix: `remove data.stream (${d.data.dataset} is loaded in memory), or use dataset: files`,
    });
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
  const features = withFile(() => parseFeatureConfig(obj.features, file !== undefined ? { file } : {}));
  const model = withFile(() => parseModelConfig(obj.model));
  const train = withFile(() => parseTrainConfig(obj.train));
  if (d.data.stream !== undefined && train.validationSplit === 'per-user-time') {
    // Stream mode decides every row's part from its row number alone, chunk by chunk; a per-user split
    // needs each user's rows together, ordered by time.
    throw new WideDeepError('CONFIG', 'train.validationSplit: per-user-time needs the rows in memory, and data.stream holds validation rows out by a hash of the row number', {
      ...where,
      field: 'train.validationSplit',
      fix: 'use train.validationSplit: random with data.stream, or remove data.stream',
    });
  }
  return { seed, data: d.data, features, model, train, raw: obj };
}

/**
 * Reads a YAML (or JSON) run config file. Its relative data paths (data.train.path, data.test.path,
 * data.dataDir) are resolved against the file's directory (`resolveDataPaths`).
 */
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
  return parseRunConfig(resolveDataPaths(raw, dirname(resolve(path))), path);
}

const isRecord = (x: unknown): x is Record<string, unknown> => x !== null && typeof x === 'object' && !Array.isArray(x);

/**
 * `raw` with the relative paths of its data section (train.path, test.path, dataDir) resolved against `base`
 * (the config file's directory), so that a run reads the same files from any current directory and its
 * bundle names them absolutely (`widedeep eval` from elsewhere finds them). Anything else is left as it is.
 */
export function resolveDataPaths(raw: unknown, base: string): unknown {
  if (!isRecord(raw) || !isRecord(raw.data)) return raw;
  const data: Record<string, unknown> = { ...raw.data };
  for (const key of ['train', 'test']) {
    const file = data[key];
    if (isRecord(file) && typeof file.path === 'string' && file.path !== '') data[key] = { ...file, path: resolve(base, file.path) };
  }
  if (typeof data.dataDir === 'string' && data.dataDir !== '') data.dataDir = resolve(base, data.dataDir);
  return { ...raw, data };
}
