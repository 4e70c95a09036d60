import { describe, expect, it } from 'vitest';
import { sliceRows, takeRows } from '../../src/data/chunk.js';
import { syntheticData } from '../../src/data/synthetic.js';
import { fitResolved } from '../../src/features/fit.js';
import { transform } from '../../src/features/transform.js';
import { modelBatchOf, sliceModelBatch, takeModelBatch } from '../../src/model/from-spec.js';
import { Rng } from '../../src/core/rng.js';
import { permutation } from '../../src/data/shuffle.js';
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

describe('takeModelBatch', () => {
  it('the examples at any rows of a transformed block equal the transform of those rows (bags, weights, dense, labels)', async () => {
    const config = parseRunConfig(smallConfig());
    const rows = syntheticData({ seed: 3, numUsers: 50, numApps: 40 }, { rows: 700 });
    const spec = await fitResolved(config.features, [rows]);
    const block = modelBatchOf(transform(spec, rows));
    const order = permutation(rows.numRows, new Rng(9));
    const picks = [order.subarray(0, 256), order.subarray(256, 257), Int32Array.from([5, 5, 0, 699]), new Int32Array(0)];
    for (const pick of picks) {
      const taken = takeModelBatch(block, pick);
      const direct = modelBatchOf(transform(spec, takeRows(rows, pick)));
      expect(taken.size).toBe(pick.length);
      expect(taken.wide).toEqual(direct.wide);
      expect(taken.deep).toEqual(direct.deep);
      expect(taken.dense).toEqual(direct.dense);
      expect(taken.labels).toEqual(direct.labels);
    }
    // The synthetic world has multi-valued bags (installed apps): they must survive the gather.
    expect(block.deep!.ids.length).toBeGreaterThan(block.deep!.keys.length * block.size);
  });

  it('refuses a set whose example records would pass int32 positions, naming the fix, before allocating them', () => {
    // Two examples whose one bag each claims 2^30 ids: the offsets alone say so (no ids are read before the check).
    const wide = { keys: ['f'], batchSize: 2, ids: new Int32Array(0), offsets: Int32Array.from([0, 2 ** 30, 2 ** 31 - 1]) };
    expect(() => takeModelBatch({ size: 2, wide }, Int32Array.of(0))).toThrow(/data\.stream/);
  });
});
