import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { WideDeepError } from '../../src/core/errors.js';
import { ROW_OPTIMIZER_DEFAULTS, ROW_OPTIMIZER_TYPES, parseRowOptimizerConfig } from '../../src/sparse/index.js';
import { parseRunConfig } from '../../src/train/run-config.js';
import { type RunConfigInput, runConfigSchema } from '../../src/train/run-config-schema.js';
import { SCHEDULE_KINDS, parseSchedule } from '../../src/train/schedules.js';

// The checked-in JSON Schema (schema/widedeep-config.schema.json) run through a real JSON Schema validator
// (Ajv, draft 2020-12; a dev dependency, already installed with fastify), against the config parser: the row
// optimizers and the schedule are closed objects keyed by type/kind, and both refuse the same values.

const ROOT = resolve(import.meta.dirname, '../..');
const schema = JSON.parse(readFileSync(join(ROOT, 'schema/widedeep-config.schema.json'), 'utf8')) as Record<string, unknown>;
const validate = new Ajv2020({ allErrors: true }).compile(schema);
const yamls = (dir: string): string[] => readdirSync(join(ROOT, dir)).filter((f) => f.endsWith('.yaml')).map((f) => join(dir, f));

const BASE = {
  data: { dataset: 'synthetic' },
  features: { columns: [{ type: 'categorical', name: 'country' }], label: { kind: 'binary', column: 'label' } },
};
const withWide = (wide: unknown) => ({ ...BASE, model: { optimizers: { wide } } });
const withEmbeddings = (embeddings: unknown) => ({ ...BASE, model: { optimizers: { embeddings } } });
const withSchedule = (schedule: unknown) => ({ ...BASE, train: { schedule } });

/** Whether the JSON Schema accepts a config, with Ajv's errors when it does not. */
function jsonSchemaErrors(config: unknown): string[] {
  if (validate(config)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
}

type Variants = { readonly properties: Record<string, { readonly const?: string }> }[];

/** The oneOf variants of the schema's node at a path of property names (model, optimizers, wide). */
function variantsAt(...path: string[]): Variants {
  let node = schema as { properties?: Record<string, unknown>; oneOf?: Variants };
  for (const key of path) node = node.properties?.[key] as typeof node;
  return node.oneOf ?? [];
}

function parserError(config: unknown): WideDeepError | undefined {
  try {
    parseRunConfig(config);
    return undefined;
  } catch (err) {
    if (err instanceof WideDeepError) return err;
    throw err;
  }
}

function accepts(parse: () => unknown): boolean {
  try {
    parse();
    return true;
  } catch (err) {
    if (err instanceof WideDeepError) return false;
    throw err;
  }
}

const PROBES: readonly unknown[] = [-1, 0, 1e-9, 0.5, 0.999, 1, 2, 1.5, 100, '0.1', null];

describe('run config JSON Schema, checked by a JSON Schema validator', () => {
  for (const file of [...yamls('examples'), ...yamls('examples/suites/bases')]) {
    it(`accepts ${file}`, () => {
      expect(jsonSchemaErrors(parseYaml(readFileSync(join(ROOT, file), 'utf8')))).toEqual([]);
    });
  }

  it('refuses a typo in a row optimizer key, as the config parser does, naming the same key', () => {
    const cases = [
      { config: withWide({ type: 'ftrl', alhpa: 0.1 }), key: 'alhpa', field: 'model.optimizers.wide.alhpa' },
      {
        config: withEmbeddings({ type: 'lazy-adam', lr: 0.01, beta_1: 0.9 }),
        key: 'beta_1',
        field: 'model.optimizers.embeddings.beta_1',
      },
      // A key of another optimizer type: FTRL's alpha is not an adagrad key.
      { config: withEmbeddings({ type: 'adagrad', alpha: 0.1 }), key: 'alpha', field: 'model.optimizers.embeddings.alpha' },
      { config: withSchedule({ kind: 'cosine', min_lr: 0 }), key: 'min_lr', field: 'train.schedule.min_lr' },
    ];
    for (const c of cases) {
      const errors = jsonSchemaErrors(c.config);
      const refused = errors.some((e) => e.includes('must NOT have additional properties') && e.includes(`"additionalProperty":"${c.key}"`));
      expect(refused, errors.join('\n')).toBe(true);
      const err = parserError(c.config);
      expect(err?.details.field).toBe(c.field);
      // The zod schema the JSON Schema comes from (RunConfigInput's source) refuses it too.
      expect(runConfigSchema.safeParse(c.config).success).toBe(false);
      expect(err?.message).toContain(c.key);
    }
  });

  it('types the row optimizers and the schedule in RunConfigInput (tsc refuses the typos)', () => {
    const ok: RunConfigInput = {
      data: { dataset: 'synthetic' },
      features: { columns: [{ type: 'categorical', name: 'country' }], label: { kind: 'binary', column: 'label' } },
      model: { optimizers: { wide: { type: 'ftrl', alpha: 0.1 }, embeddings: { type: 'lazy-adam', beta1: 0.8 } } },
      train: { schedule: { kind: 'cosine', minLr: 0 } },
    };
    // @ts-expect-error alhpa is not a key of an ftrl optimizer
    const typo: NonNullable<NonNullable<RunConfigInput['model']>['optimizers']>['wide'] = { type: 'ftrl', alhpa: 0.1 };
    // @ts-expect-error min_lr is not a key of a cosine schedule
    const scheduleTypo: NonNullable<RunConfigInput['train']>['schedule'] = { kind: 'cosine', min_lr: 0 };
    expect(parserError(ok)).toBeUndefined();
    expect(runConfigSchema.safeParse(withWide(typo)).success).toBe(false);
    expect(runConfigSchema.safeParse(withSchedule(scheduleTypo)).success).toBe(false);
  });

  it('refuses an unknown optimizer type or schedule kind, and accepts the typo fixed', () => {
    for (const config of [withWide({ type: 'ftlr' }), withWide({ alpha: 0.1 }), withSchedule({ kind: 'cosin' })]) {
      expect(jsonSchemaErrors(config)).not.toEqual([]);
      expect(parserError(config)).toBeInstanceOf(WideDeepError);
    }
    const fixed = [withWide({ type: 'ftrl', alpha: 0.1 }), withEmbeddings({ type: 'lazy-adam', beta1: 0.9 }), withSchedule({ kind: 'cosine', minLr: 0 })];
    for (const config of fixed) {
      expect(jsonSchemaErrors(config)).toEqual([]);
      expect(parserError(config)).toBeUndefined();
    }
  });

  it('knows every row optimizer type and exactly its keys, and agrees with parseRowOptimizerConfig on each value', () => {
    const variants = variantsAt('model', 'optimizers', 'wide');
    expect(variants.map((v) => v.properties.type?.const)).toEqual([...ROW_OPTIMIZER_TYPES]);
    for (const type of ROW_OPTIMIZER_TYPES) {
      const keys = Object.keys(ROW_OPTIMIZER_DEFAULTS[type]);
      expect(Object.keys(variants.find((v) => v.properties.type?.const === type)?.properties ?? {}).sort()).toEqual(keys.sort());
      for (const key of keys.filter((k) => k !== 'type')) {
        for (const value of PROBES) {
          const opt = { type, [key]: value };
          // adagrad's "initialAccumulator or eps > 0" is the one rule the JSON Schema does not state.
          const both0 = type === 'adagrad' && value === 0 && (key === 'eps' || key === 'initialAccumulator');
          const other = { [key === 'eps' ? 'initialAccumulator' : 'eps']: 0.1 };
          const byParser = accepts(() => parseRowOptimizerConfig({ ...opt, ...(both0 ? other : {}) }));
          expect(jsonSchemaErrors(withWide(opt)).length === 0, `${type}.${key} = ${JSON.stringify(value)}`).toBe(byParser);
        }
      }
    }
  });

  it('knows every schedule kind and agrees with parseSchedule on each key and value', () => {
    const variants = variantsAt('train', 'schedule');
    expect(variants.map((v) => v.properties.kind?.const).sort()).toEqual([...SCHEDULE_KINDS].sort());
    const required: Record<string, Record<string, number>> = { step: { stepSize: 10, gamma: 0.5 }, exponential: { gamma: 0.9 } };
    const allKeys = [...new Set(variants.flatMap((v) => Object.keys(v.properties)))].filter((k) => k !== 'kind');
    for (const kind of SCHEDULE_KINDS) {
      const base = { kind, ...required[kind] };
      expect(jsonSchemaErrors(withSchedule(base))).toEqual([]);
      expect(accepts(() => parseSchedule(base))).toBe(true);
      for (const key of [...allKeys, 'warmup']) {
        for (const value of PROBES) {
          const s = { ...base, [key]: value };
          const byParser = accepts(() => parseSchedule(s));
          expect(jsonSchemaErrors(withSchedule(s)).length === 0, `${kind}.${key} = ${JSON.stringify(value)}`).toBe(byParser);
        }
      }
    }
  });
});
