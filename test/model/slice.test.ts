import { describe, expect, it } from 'vitest';
import { sliceRows } from '../../src/data/chunk.js';
import { syntheticData } from '../../src/data/synthetic.js';
import { fitResolved } from '../../src/features/fit.js';
import { transform } from '../../src/features/transform.js';
import { modelBatchOf, sliceModelBatch } from '../../src/model/from-spec.js';
import { parseRunConfig } from '../../src/train/run-config.js';
import { smallConfig } from '../helpers/small-config.js';

describe('sliceModelBatch', () => {
  it('rows [a, b) of a transformed block equal the transform of rows [a, b)', async () => {
    const config = parseRunConfig(smallConfig());
    const rows = syntheticData({ seed: 2, numUsers: 50, numApps: 40 }, { rows: 600 });
    const spec = await fitResolved(config.features, [rows]);
    const block = modelBatchOf(transform(spec, rows));
    for (const [a, b] of [[0, 128], [128, 256], [500, 600], [7, 8]] as const) {
      const cut = sliceModelBatch(block, a, b);
      const direct = modelBatchOf(transform(spec, sliceRows(rows, a, b)));
      expect(cut.size).toBe(b - a);
      expect(cut.wide).toEqual(direct.wide);
      expect(cut.deep).toEqual(direct.deep);
      expect(cut.dense).toEqual(direct.dense);
      expect(cut.labels).toEqual(direct.labels);
    }
  });
});
