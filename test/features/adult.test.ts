import { describe, expect, it } from 'vitest';
import { validateSparseBatch } from '../../src/core/sparse-batch.js';
import { fit, parseFittedSpec, serializeFittedSpec, specSizes, transform } from '../../src/features/index.js';
import { ADULT_CONFIG, ADULT_DIR, adultAvailable, parseAdult, streamOf } from './fixtures.js';

// Fits the Adult-like spec on the real UCI Adult files, parsed by a tiny local CSV split (not src/data).
const available = adultAvailable();
if (!available) process.stderr.write(`skipping test/features/adult.test.ts: ${ADULT_DIR}/adult.data not found\n`);

describe.skipIf(!available)('UCI Adult', () => {
  it('fits on adult.data and transforms adult.test with the same spec', async () => {
    const train = parseAdult(`${ADULT_DIR}/adult.data`);
    const spec = parseFittedSpec(serializeFittedSpec(await fit(ADULT_CONFIG, streamOf(...train))));
    expect(spec.fitStats).toMatchObject({ rows: 32_561, skippedRows: 0 });
    const sizes = specSizes(spec);
    // adult.names: 8 workclasses + '?', 16 education levels, 7 marital statuses, 6 relationships, 5 races, 2 sexes
    expect(sizes.wide.sizes).toMatchObject({ workclass: 10, education: 17, marital_status: 8, relationship: 7, race: 6, sex: 3 });
    const workclass = spec.columns.find((c) => c.name === 'workclass');
    expect(workclass).toMatchObject({ encoding: { values: expect.arrayContaining(['Private', '?']) } });
    expect((workclass as { encoding: { values: string[] } }).encoding.values[0]).toBe('Private'); // most frequent first

    let positives = 0;
    let rows = 0;
    for (const chunk of parseAdult(`${ADULT_DIR}/adult.test`)) {
      const b = transform(spec, chunk);
      validateSparseBatch(b.wide, sizes.wide.sizes);
      expect(b.dense.every(Number.isFinite)).toBe(true);
      for (const y of b.labels!) positives += y;
      rows += b.batchSize;
    }
    expect(rows).toBe(16_281);
    expect(positives).toBe(3_846); // '>50K.' in the test file
  });
});
