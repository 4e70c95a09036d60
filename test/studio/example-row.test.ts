import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadBundle } from '../../src/artifact/bundle.js';
import { loadRunData } from '../../src/train/run-data.js';
import { parseRunConfig } from '../../src/train/run-config.js';
import { inputColumns } from '../../src/features/checks.js';
import { predictRows } from '../../src/serve/predict-rows.js';
import { exampleRow } from '../../src/studio/example-row.js';
import { FIXTURE } from '../helpers/bundle-fixture.js';

// The what-if form's first row: the bundle's own test split where its data can be read, else one built from
// the spec; both score.

describe('exampleRow', () => {
  it("takes a row of the bundle's test split, and builds one from the spec when the data cannot be read", async () => {
    const dir = join(FIXTURE, 'model');
    const { model, bundle } = await loadBundle(dir);
    try {
      const test = await exampleRow(bundle, join(dir, 'manifest.json'), 2);
      expect(test.from).toBe('test');
      const config = parseRunConfig(bundle.manifest.config);
      const split = (await loadRunData(config.data, config.seed, bundle.spec)).test;
      for (const name of inputColumns(bundle.spec)) {
        const values = split.columns.get(name) as ArrayLike<unknown>;
        expect(test.row[name], name).toEqual(values[2]);
      }
      expect(test.note).toContain(`row ${split.rowNumbers[2]}`);

      const elsewhere = { ...bundle, manifest: { ...bundle.manifest, config: { ...(bundle.manifest.config as Record<string, unknown>), data: { dataset: 'adult', dataDir: '/nonexistent/adult' } } } };
      const spec = await exampleRow(elsewhere, join(dir, 'manifest.json'));
      expect(spec.from).toBe('spec');
      expect(spec.note).toMatch(/could not be read here/);
      expect(Object.keys(spec.row).sort()).toEqual(inputColumns(bundle.spec).sort());
      const country = bundle.spec.columns.find((c) => c.name === 'country');
      expect(spec.row.country).toBe(country && 'encoding' in country && country.encoding.kind === 'vocabulary' ? country.encoding.values[0] : undefined);
      const { predictions } = await predictRows(model, bundle.spec, [test.row, spec.row]);
      expect(predictions.every((p) => typeof p === 'number' && Number.isFinite(p))).toBe(true);
    } finally {
      await model.release();
    }
  });
});
