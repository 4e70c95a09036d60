import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, extname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { WideDeepError } from '../core/errors.js';
import { applyOverride, canonicalJson, cloneData } from './config-path.js';

/**
 * A suite: one base run config, a set of variants (named override sets, crossed with a grid of override
 * axes) and seeds. Every (variant, seed) is one trial: the base config with the variant's overrides and
 * `seed` set. Plain data, parsed strictly at the boundary.
 *
 * ```yaml
 * name: memorization
 * base: ../adult.yaml              # a run config file (relative to this file), or an inline mapping
 * set: { train.epochs: 5 }         # overrides for every trial
 * grid:                            # axes: a list of values, or a mapping label -> value
 *   model.kind: [wide, deep, wide_deep]
 * variants:                        # optional named override sets, crossed with the grid
 *   - { name: dropout, set: { model.deep.dropout: 0.3 } }
 * baseline: kind=wide_deep         # the variant the others are compared with (default: the first)
 * seeds: [1, 2, 3]
 * metric: test.auc                 # what the results table compares
 * analysis: { longTail: { users: 100, k: 10 } }   # synthetic data only
 * ```
 */
const overridesSchema = z.record(z.string().min(1), z.unknown());

export const longTailSchema = z.strictObject({
  /** Users sampled from the synthetic world; each gets the whole catalogue scored. */
  users: z.number().int().positive().default(100),
  /** Length of each recommendation list. */
  k: z.number().int().positive().default(10),
  /** The head is the most popular apps drawing this share of impressions; the rest is the tail. */
  headShare: z.number().gt(0).lt(1).default(0.8),
});

const suiteSchema = z.strictObject({
  name: z.string().min(1).optional(),
  description: z.string().optional(),
  base: z.union([z.string().min(1), z.record(z.string(), z.unknown())]),
  set: overridesSchema.default({}),
  grid: z.record(z.string().min(1), z.union([z.array(z.unknown()).min(1), z.record(z.string(), z.unknown())])).default({}),
  variants: z.array(z.strictObject({ name: z.string().min(1), set: overridesSchema.default({}) })).optional(),
  baseline: z.string().optional(),
  seeds: z.array(z.number().int()).min(1).default([1, 2, 3]),
  metric: z.string().regex(/^(test|validation)\.\S+$/, 'metric must be test.<name> or validation.<name>').default('test.auc'),
  analysis: z.strictObject({ longTail: longTailSchema.optional() }).default({}),
});

export type LongTailConfig = z.output<typeof longTailSchema>;

export interface Variant {
  readonly name: string;
  /** Path -> value, applied in order after the suite's `set`. */
  readonly overrides: Readonly<Record<string, unknown>>;
}

export interface Suite {
  readonly name: string;
  readonly description: string;
  /** The file it came from, if any. */
  readonly file: string | null;
  /** The base run config (raw), with the suite's `set` not yet applied. */
  readonly base: Readonly<Record<string, unknown>>;
  readonly set: Readonly<Record<string, unknown>>;
  readonly variants: readonly Variant[];
  readonly baseline: string;
  readonly seeds: readonly number[];
  readonly metric: string;
  readonly analysis: { readonly longTail?: LongTailConfig };
}

/** One trial of a suite, as sent to a worker. */
export interface TrialSpec {
  readonly suite: string;
  readonly variant: string;
  /** Position of the variant in the suite (report order). */
  readonly variantIndex: number;
  /** The suite's baseline variant and compared metric (kept in every record, so a results file stands alone). */
  readonly baseline: string;
  readonly metric: string;
  readonly seed: number;
  /** Every override of this trial (suite `set`, then the variant's), in application order. */
  readonly overrides: Readonly<Record<string, unknown>>;
  /** Stable id: hash of (overrides, seed). */
  readonly key: string;
  /** The merged raw run config. */
  readonly config: Record<string, unknown>;
  /** Hash of the merged config, to notice a changed base when resuming. */
  readonly configHash: string;
  readonly analysis: Suite['analysis'];
}

function hash(v: unknown): string {
  return createHash('sha256').update(canonicalJson(v)).digest('hex').slice(0, 16);
}

/** The stable key of a trial: a hash of its overrides and seed. */
export function trialKey(overrides: Readonly<Record<string, unknown>>, seed: number): string {
  return hash({ overrides, seed });
}

function readConfigFile(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new WideDeepError('IO', `cannot read the ${what}: ${(err as Error).message}`, { file: path, fix: 'check the path' });
  }
  try {
    return parseYaml(text);
  } catch (err) {
    throw new WideDeepError('CONFIG', `the ${what} is not valid YAML: ${(err as Error).message}`, { file: path });
  }
}

function axisLabel(path: string, value: unknown): string {
  const last = path.replace(/\+$/, '').split('.').pop() ?? path;
  return `${last.replace(/\[.*\]$/, '')}=${typeof value === 'string' ? value : JSON.stringify(value)}`;
}

/** Parses suite data; `file` names it in errors and anchors a relative `base` path. */
export function parseSuite(raw: unknown, file?: string): Suite {
  const where = file !== undefined ? { file } : {};
  const r = suiteSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    const keys = issue && 'keys' in issue ? ` (unknown: ${(issue.keys as string[]).join(', ')})` : '';
    throw new WideDeepError('CONFIG', `invalid suite: ${issue?.message ?? 'bad value'}${keys}`, {
      ...where,
      field: (issue?.path ?? []).map(String).join('.') || 'suite',
      fix: `valid keys: ${Object.keys(suiteSchema.shape).join(', ')}`,
    });
  }
  const s = r.data;
  let base: Record<string, unknown>;
  if (typeof s.base === 'string') {
    const path = resolve(file !== undefined ? dirname(file) : process.cwd(), s.base);
    const loaded = readConfigFile(path, 'base config of the suite');
    if (!loaded || typeof loaded !== 'object' || Array.isArray(loaded)) throw new WideDeepError('CONFIG', 'the base config must be a mapping', { file: path });
    base = loaded as Record<string, unknown>;
  } else base = cloneData(s.base);

  let variants: Variant[] = (s.variants ?? [{ name: '', set: {} }]).map((v) => ({ name: v.name, overrides: v.set }));
  for (const [path, axis] of Object.entries(s.grid)) {
    const values: [string, unknown][] = Array.isArray(axis) ? axis.map((v) => [axisLabel(path, v), v]) : Object.entries(axis);
    variants = variants.flatMap((v) => values.map(([label, value]) => ({ name: v.name === '' ? label : `${v.name} / ${label}`, overrides: { ...v.overrides, [path]: value } })));
  }
  variants = variants.map((v) => ({ ...v, name: v.name === '' ? 'base' : v.name }));
  const names = new Set<string>();
  for (const v of variants) {
    if (names.has(v.name)) throw new WideDeepError('CONFIG', `two variants are named ${v.name}`, { ...where, field: 'variants', fix: 'give every variant a distinct name' });
    names.add(v.name);
  }
  const baseline = s.baseline ?? (variants[0] as Variant).name;
  if (!names.has(baseline)) {
    throw new WideDeepError('CONFIG', `the baseline ${baseline} is not a variant`, { ...where, field: 'baseline', fix: `use one of: ${[...names].join(', ')}` });
  }
  if (new Set(s.seeds).size !== s.seeds.length) throw new WideDeepError('CONFIG', 'the seeds repeat', { ...where, field: 'seeds' });
  return {
    name: s.name ?? (file !== undefined ? basename(file, extname(file)) : 'suite'),
    description: s.description ?? '',
    file: file ?? null,
    base,
    set: s.set,
    variants,
    baseline,
    seeds: s.seeds,
    metric: s.metric,
    analysis: s.analysis.longTail ? { longTail: s.analysis.longTail } : {},
  };
}

/** The folder of the built-in suites (examples/suites, beside src/ and dist/). */
export function builtinSuiteDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '../../examples/suites');
}

/** Names of the built-in suites. */
export function builtinSuites(): string[] {
  const dir = builtinSuiteDir();
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -5)).sort() : [];
}

/** Loads a suite by built-in name (`memorization`) or from a YAML/JSON file path. */
export function loadSuite(nameOrPath: string): Suite {
  const isPath = /[/\\]/.test(nameOrPath) || /\.(ya?ml|json)$/.test(nameOrPath);
  const file = isPath ? resolve(nameOrPath) : resolve(builtinSuiteDir(), `${nameOrPath}.yaml`);
  if (!isPath && !existsSync(file)) {
    throw new WideDeepError('CONFIG', `no built-in suite named ${nameOrPath}`, { field: 'suite', fix: `use one of: ${builtinSuites().join(', ')}, or a path to a suite YAML file` });
  }
  return parseSuite(readConfigFile(file, 'suite'), file);
}

/** Every trial of a suite: variants in order, seeds in order within each. */
export function expandSuite(suite: Suite): TrialSpec[] {
  const out: TrialSpec[] = [];
  for (const [variantIndex, v] of suite.variants.entries()) {
    for (const seed of suite.seeds) {
      const overrides = { ...suite.set, ...v.overrides };
      const config = cloneData(suite.base) as Record<string, unknown>;
      for (const [path, value] of Object.entries(overrides)) applyOverride(config, path, value);
      config.seed = seed;
      out.push({ suite: suite.name, variant: v.name, variantIndex, baseline: suite.baseline, metric: suite.metric, seed, overrides, key: trialKey(overrides, seed), config, configHash: hash(config), analysis: suite.analysis });
    }
  }
  return out;
}
