import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inputColumns, numericInputs } from '../../src/features/checks.js';
import { rowsToChunk } from '../../src/features/rows.js';
import { transform } from '../../src/features/transform.js';
import { explainRows, type Explanation } from '../../src/model/explain.js';
import { modelBatchOf } from '../../src/model/from-spec.js';
import { fitRun } from '../../src/train/pipeline.js';
import { loadRunConfig, parseRunConfig } from '../../src/train/run-config.js';

// Issue 16: explanations of hashed crosses showed `#33`. A crossed term is named by its components' values
// in the row explained, for hashed and vocabulary crosses alike.

const ROOT = resolve(import.meta.dirname, '../..');
const ROWS = [
  { user_id: 'u0001', zip: '02139', device: 'mobile', category: 'games', hour: 21, position: 1 },
  { user_id: 'u0002', zip: '10001', device: 'desktop', category: 'news', hour: 9, position: 5 },
];
const EXPECTED = [
  { device_x_category: 'device=mobile x category=games', hour_x_category: 'hour_buckets=[19, inf) x category=games' },
  { device_x_category: 'device=desktop x category=news', hour_x_category: 'hour_buckets=[6, 12) x category=news' },
];

/** examples/files.yaml with the device x category cross encoded as `encoding`, and a cross over a bucketized column. */
async function crossConfig(encoding: Record<string, unknown>): Promise<ReturnType<typeof parseRunConfig>> {
  const base = await loadRunConfig(join(ROOT, 'examples', 'files.yaml'));
  const raw = base.raw as { features: { columns: Record<string, unknown>[] }; train: Record<string, unknown> };
  const columns = raw.features.columns.map((c) => (c.name === 'device_x_category' ? { type: 'crossed', name: c.name, components: ['device', 'category'], ...encoding } : c));
  columns.push({ type: 'crossed', name: 'hour_x_category', components: ['hour_buckets', 'category'], hashBuckets: 50 });
  return parseRunConfig({ ...raw, features: { ...raw.features, columns }, train: { ...raw.train, epochs: 2 } });
}

describe('explanations of crossed terms', () => {
  for (const [kind, encoding] of [
    ['hashed', { hashBuckets: 100 }],
    ['vocabulary', { vocabulary: { minCount: 1 } }],
    ['commutative hashed', { hashBuckets: 100, commutative: true }],
  ] as const) {
    it(`${kind}: named by the components' values in the row explained`, async () => {
      const r = await fitRun(await crossConfig(encoding));
      try {
        const chunk = rowsToChunk(ROWS, { columns: inputColumns(r.spec), numeric: numericInputs(r.spec) });
        const batch = modelBatchOf(transform(r.spec, chunk, { mode: 'serve' }));
        const ex = (await explainRows(r.model, r.spec, batch, 50, chunk)) as Explanation[];
        ex.forEach((e, i) => {
          for (const [feature, value] of Object.entries(EXPECTED[i] as Record<string, string>)) {
            const term = e.top.find((t) => t.feature === feature);
            expect(term?.value, `${feature} of row ${i + 1}`).toBe(value);
          }
        });
        // Without the rows, a hashed cross can only name its bucket.
        const bare = (await explainRows(r.model, r.spec, batch, 50)) as Explanation[];
        expect(bare[0]?.top.find((t) => t.feature === 'hour_x_category')?.value).toMatch(/^#\d+$/);
      } finally {
        await r.model.release();
      }
    });
  }
});
