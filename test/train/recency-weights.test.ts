import { describe, expect, it } from 'vitest';
import { chunkFromColumns } from '../../src/data/chunk.js';
import { userTimePositions } from '../../src/data/splits.js';
import type { ModelBatch } from '../../src/model/sizes.js';
import { fitResolved } from '../../src/features/fit.js';
import { parseTrainConfig } from '../../src/train/config.js';
import { keptRowWeights, memorySource } from '../../src/train/memory-source.js';
import { fitRun } from '../../src/train/pipeline.js';
import { loadRunData } from '../../src/train/run-data.js';
import { recencyWeights } from '../../src/train/recency-weights.js';
import { parseRunConfig } from '../../src/train/run-config.js';
import { catchError } from '../data/helpers.js';
import { smallConfig } from '../helpers/small-config.js';

const USER_TIME = { userColumn: 'user', timeOrder: { time: 't', tie: 'item' } };

// user a: 4 rows with a time tie at t = 3 broken by item (9 before 10); b: 2 rows; c: 1 row.
const rows = chunkFromColumns(
  {
    user: ['a', 'a', 'a', 'a', 'b', 'b', 'c'],
    item: ['1', '10', '9', '2', '1', '2', '1'],
    t: Float64Array.from([1, 3, 3, 2, 6, 5, 1]),
  },
  { rowNumbers: Int32Array.from([11, 12, 13, 14, 15, 16, 17]) },
);

async function collect(batches: AsyncIterable<ModelBatch>): Promise<ModelBatch[]> {
  const out: ModelBatch[] = [];
  for await (const b of batches) out.push(b);
  return out;
}

function withTrain(train: Record<string, unknown>): Record<string, unknown> {
  const raw = smallConfig({ epochs: 1 });
  return { ...raw, train: { ...(raw.train as object), ...train } };
}

describe('train.recencyWeight', () => {
  it("positions run from a user's earliest row (0) to the latest (1); a lone row is 1", () => {
    const p = userTimePositions(rows, { userColumn: 'user', timeColumn: 't', itemColumn: 'item' });
    // a in time order: item 1 (t1), 2 (t2), 9 (t3), 10 (t3) -> 0, 1/3, 2/3, 1
    expect([...p]).toEqual([0, 1, 2 / 3, 1 / 3, 1, 0, 1]);
  });

  it('linear and exponential weights from the positions, scaled to mean 1', () => {
    const p = [0, 1, 2 / 3, 1 / 3, 1, 0, 1];
    const check = (train: Record<string, unknown>, raw: (x: number) => number): void => {
      const w = recencyWeights(rows, parseTrainConfig(train), USER_TIME, 'test') as Float64Array;
      const expected = p.map(raw);
      const mean = expected.reduce((a, b) => a + b, 0) / expected.length;
      expected.forEach((e, i) => expect(w[i]).toBeCloseTo(e / mean, 12));
      expect(w.reduce((a, b) => a + b, 0)).toBeCloseTo(rows.numRows, 10);
    };
    check({ recencyWeight: { strength: 3 } }, (x) => 1 + 3 * x);
    check({ recencyWeight: { scheme: 'exponential', strength: 2 } }, (x) => 2 ** (-2 * (1 - x)));
    expect(recencyWeights(rows, parseTrainConfig({}), USER_TIME, 'test')).toBeNull();
    expect(recencyWeights(rows, parseTrainConfig({ recencyWeight: null }), USER_TIME, 'test')).toBeNull();
  });

  it('the weights of the examples a transform kept follow their row numbers', () => {
    const w = Float64Array.from([1, 2, 3, 4, 5, 6, 7]);
    expect([...keptRowWeights(rows, w, Int32Array.from([11, 13, 14, 17]))]).toEqual([1, 3, 4, 7]);
    expect(() => keptRowWeights(rows, w, Int32Array.from([13, 12]))).toThrow(/row 12/);
  });

  it('training batches carry recency weight x the label weight column, each on its own row', async () => {
    const config = parseRunConfig(withTrain({ recencyWeight: { strength: 3 } }));
    const data = await loadRunData(config.data, config.seed);
    // A label weight column that names each row (1..n), so that a batch's weights show which row is where.
    const n = data.train.numRows;
    const train = chunkFromColumns(new Map([...data.train.columns, ['rowid', Float64Array.from({ length: n }, (_, i) => i + 1)]]), { rowNumbers: data.train.rowNumbers });
    const label = config.features.label as NonNullable<typeof config.features.label>;
    const spec = await fitResolved({ ...config.features, label: { ...label, weight: 'rowid' } }, [train]);
    const w = recencyWeights(train, config.train, data, 'synthetic') as Float64Array;
    const weighted = memorySource(spec, train, n, 1, w);
    const plain = memorySource(spec, train, n, 1, null);
    const [b] = await collect(weighted.batches(0));
    const [q] = await collect(plain.batches(0));
    expect(b?.size).toBe(n);
    for (let i = 0; i < n; i++) {
      const row = (q?.weights as Float32Array)[i] as number; // the same permutation of the same rows
      expect((b?.weights as Float32Array)[i]).toBeCloseTo(row * (w[row - 1] as number), 2);
    }
  });

  it('a run with recency weights trains on other weights than one without (and is deterministic)', async () => {
    const a = await fitRun(parseRunConfig(withTrain({ recencyWeight: { strength: 3 } })));
    const b = await fitRun(parseRunConfig(withTrain({ recencyWeight: { strength: 3 } })));
    const c = await fitRun(parseRunConfig(withTrain({})));
    expect(b.test).toEqual(a.test);
    expect(c.test.logLoss).not.toBe(a.test.logLoss);
    for (const r of [a, b, c]) await r.model.release();
  });

  it('config errors: data without users and time, stream mode, a bad strength or scheme', async () => {
    const adultLike = { userColumn: null, timeOrder: null };
    expect((await catchError(() => recencyWeights(rows, parseTrainConfig({ recencyWeight: { strength: 1 } }), adultLike, 'adult'))).message).toMatch(
      /train\.recencyWeight.*adult data has none known.*applies to movielens-100k and synthetic/,
    );
    expect((await catchError(() => parseTrainConfig({ recencyWeight: { strength: 0 } }))).message).toMatch(/train\.recencyWeight\.strength/);
    expect((await catchError(() => parseTrainConfig({ recencyWeight: { strength: 1, scheme: 'cubic' } }))).message).toMatch(/train\.recencyWeight\.scheme/);
    const streamed = { ...smallConfig(), data: { dataset: 'files', train: { path: '/nonexistent.csv' }, stream: {} }, train: { recencyWeight: { strength: 1 } } };
    await expect(fitRun(parseRunConfig(streamed))).rejects.toThrow(/recencyWeight.*needs the data in memory/);
  });
});
