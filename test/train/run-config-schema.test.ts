import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { WideDeepError } from '../../src/core/errors.js';
import { parseRunConfig } from '../../src/train/run-config.js';
import { type RunConfigInput, runConfigJsonSchema, runConfigJsonSchemaText, runConfigSchema } from '../../src/train/run-config-schema.js';

// Issue 16, "The library": a typed config input and a JSON Schema that editors check example configs against.
// Here the examples are checked through the zod schema the JSON Schema is generated from, and the JSON Schema
// against the keys parseRunConfig knows; run-config-json-schema.test.ts validates them with Ajv itself.

const ROOT = resolve(import.meta.dirname, '../..');
const SCHEMA_FILE = join(ROOT, 'schema/widedeep-config.schema.json');
const yamls = (dir: string): string[] => readdirSync(join(ROOT, dir)).filter((f) => f.endsWith('.yaml')).map((f) => join(dir, f));
const EXAMPLES = [...yamls('examples'), ...yamls('examples/suites/bases')];

/** The top-level keys parseRunConfig accepts, as its unknown-key error lists them. */
function acceptedTopKeys(): string[] {
  try {
    parseRunConfig({ nope: 1 });
  } catch (err) {
    const fix = (err as WideDeepError).details.fix ?? '';
    return fix.replace('valid top-level keys: ', '').split(', ');
  }
  throw new Error('parseRunConfig accepted an unknown key');
}

describe('run config JSON Schema', () => {
  it('the checked-in schema file is what `npm run schema` writes now', () => {
    expect(readFileSync(SCHEMA_FILE, 'utf8'), 'schema/widedeep-config.schema.json is stale: run `npm run schema`').toBe(runConfigJsonSchemaText());
  });

  it('lists every key parseRunConfig accepts, at the top and in every section', () => {
    const s = runConfigJsonSchema() as { properties: Record<string, { properties?: Record<string, unknown> }>; additionalProperties: boolean };
    expect(Object.keys(s.properties).sort()).toEqual(acceptedTopKeys().sort());
    expect(s.additionalProperties).toBe(false);
    const sections = runConfigSchema.shape;
    expect(Object.keys(s.properties.data?.properties ?? {}).sort()).toEqual(Object.keys(sections.data.shape).sort());
    expect(Object.keys(s.properties.train?.properties ?? {}).sort()).toEqual(Object.keys(sections.train.unwrap().shape).sort());
    const text = JSON.stringify(s);
    for (const type of ['categorical', 'numeric', 'bucketized', 'crossed', 'multi-valued', 'sequence', 'binary', 'regression', 'multiclass']) expect(text).toContain(`"const":"${type}"`);
  });

  for (const file of EXAMPLES) {
    it(`${file} names the schema on its first line and validates against it`, () => {
      const text = readFileSync(join(ROOT, file), 'utf8');
      const m = /^# yaml-language-server: \$schema=(\S+)\n/.exec(text);
      expect(m, `${file}: the first line must be # yaml-language-server: $schema=<path to schema/widedeep-config.schema.json>`).not.toBeNull();
      expect(resolve(dirname(join(ROOT, file)), m?.[1] ?? '')).toBe(SCHEMA_FILE);
      expect(existsSync(SCHEMA_FILE)).toBe(true);
      const raw: unknown = parseYaml(text);
      const r = runConfigSchema.safeParse(raw);
      expect(r.success ? [] : r.error.issues).toEqual([]);
      expect(() => parseRunConfig(raw, file)).not.toThrow();
    });
  }

  it('refuses what parseRunConfig refuses: unknown keys, a column without a name, an unknown column type', () => {
    const ok: RunConfigInput = { data: { dataset: 'synthetic' }, features: { columns: [{ type: 'categorical', name: 'country' }], label: { kind: 'binary', column: 'label' } } };
    expect(runConfigSchema.safeParse(ok).success).toBe(true);
    expect(() => parseRunConfig(ok)).not.toThrow();
    const bad: unknown[] = [
      { ...ok, modle: {} },
      { ...ok, features: { columns: [{ type: 'categorical' }] } },
      { ...ok, features: { columns: [{ type: 'categorial', name: 'country' }] } },
      { ...ok, train: { epochs: 0 } },
    ];
    for (const b of bad) {
      expect(runConfigSchema.safeParse(b).success).toBe(false);
      expect(() => parseRunConfig(b)).toThrow(WideDeepError);
    }
  });
});
