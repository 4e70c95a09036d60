import { describe, expect, it } from 'vitest';
import { validateSparseBatch } from '../../src/core/sparse-batch.js';
import { fit, rowsToChunk, specSizes, transform, type FeatureConfig, type FittedSpec } from '../../src/features/index.js';
import { chunkOf, errorOf, errorOfAsync, streamOf } from './fixtures.js';

const CONFIG: FeatureConfig = {
  columns: [
    { type: 'categorical', name: 'city' },
    { type: 'categorical', name: 'device', hashBuckets: 50, feeds: ['wide'] },
    { type: 'categorical', name: 'user', identity: { numBuckets: 100 }, feeds: ['deep'] },
    { type: 'bucketized', name: 'age_b', source: 'age', boundaries: [20, 40, 60] },
    { type: 'crossed', name: 'city_x_age', components: ['city', 'age_b'], hashBuckets: 64 },
    { type: 'numeric', name: 'age', normalize: 'standardize' },
    { type: 'numeric', name: 'income', missing: { strategy: 'median', indicator: true } },
    { type: 'multi-valued', name: 'genres', pooling: 'mean', feeds: ['wide', 'deep'] },
    { type: 'sequence', name: 'history', length: 3, hashBuckets: 1000 },
  ],
  label: { kind: 'binary', column: 'y', positive: ['yes'], negative: ['no'] },
};

const TRAIN = {
  city: ['paris', 'rome', 'paris', null, 'oslo', 'rome'],
  device: ['ios', 'android', 'web', 'ios', 'ios', null],
  user: [1, 2, 3, 99, 150, null],
  age: [18, 35, 52, 70, 44, 29],
  income: [10, null, 30, 40, 50, 60],
  genres: [['drama'], ['drama', 'comedy'], null, [], ['horror'], ['comedy']],
  history: [['a', 'b', 'c', 'd'], ['x'], null, ['a'], ['b', 'b'], []],
  y: ['yes', 'no', 'no', 'yes', 'no', 'yes'],
};

const fitted = (): Promise<FittedSpec> => fit(CONFIG, streamOf(chunkOf(TRAIN)));

describe('transform', () => {
  it('produces valid SparseBatches whose ids lie in each table', async () => {
    const spec = await fitted();
    const sizes = specSizes(spec);
    const b = transform(spec, chunkOf(TRAIN));
    expect(b.batchSize).toBe(6);
    expect(b.wide.keys).toEqual(['city', 'device', 'age_b', 'city_x_age', 'genres']);
    expect(b.deep.keys).toEqual(['city', 'user', 'age_b', 'genres'].filter((k) => sizes.embeddings.some((e) => e.key === k)));
    validateSparseBatch(b.wide, sizes.wide.sizes);
    validateSparseBatch(b.deep, Object.fromEntries(sizes.embeddings.map((e) => [e.key, e.tableSize])));
    expect(b.denseWidth).toBe(3);
    expect(b.dense.length).toBe(18);
    expect([...b.labels!]).toEqual([1, 0, 0, 1, 0, 1]);
    expect([...b.rowNumbers]).toEqual([2, 3, 4, 5, 6, 7]);
    expect(b.skippedRows).toBe(0);
  });

  it('maps missing, unseen and out-of-range values to id 0', async () => {
    const spec = await fitted();
    const rows = [
      { city: 'tokyo', device: null, user: 100, age: 10, income: 1, genres: ['jazz'], history: [], y: 'no' },
      { city: null, device: 'ios', user: -1, age: 45, income: null, genres: null, history: null, y: 'no' },
    ];
    const b = transform(spec, rowsToChunk(rows));
    const ids = (batch: typeof b.wide, key: string) => {
      const f = batch.keys.indexOf(key);
      return [0, 1].map((i) => [...batch.ids.subarray(batch.offsets[f * 2 + i]!, batch.offsets[f * 2 + i + 1]!)]);
    };
    expect(ids(b.wide, 'city')).toEqual([[0], [0]]);
    expect(ids(b.wide, 'device')[0]).toEqual([0]);
    expect(ids(b.wide, 'device')[1]![0]).toBeGreaterThan(0);
    expect(ids(b.deep, 'user')).toEqual([[0], [0]]);
    expect(ids(b.wide, 'age_b')).toEqual([[1], [3]]);
    // a cross reads values, not ids: an unseen city still crosses; a missing one makes the cross missing
    expect(ids(b.wide, 'city_x_age')[0]![0]).toBeGreaterThan(0);
    expect(ids(b.wide, 'city_x_age')[1]).toEqual([[0]][0]);
    expect(ids(b.wide, 'genres')).toEqual([[0], []]);
    expect(b.dense[5]).toBe(1); // income missing indicator of row 2
  });

  it('identity ids are value + 1', async () => {
    const spec = await fitted();
    const b = transform(spec, chunkOf({ ...TRAIN }));
    const u = b.deep.keys.indexOf('user');
    expect([...b.deep.ids.subarray(b.deep.offsets[u * 6]!, b.deep.offsets[u * 6 + 6]!)]).toEqual([2, 3, 4, 100, 0, 0]);
  });

  it('multi-valued columns give bags; sequences keep the last N items, padded with 0', async () => {
    const spec = await fitted();
    const b = transform(spec, chunkOf(TRAIN));
    const g = b.wide.keys.indexOf('genres');
    const bag = (i: number) => [...b.wide.ids.subarray(b.wide.offsets[g * 6 + i]!, b.wide.offsets[g * 6 + i + 1]!)];
    expect([0, 1, 2, 3, 4, 5].map((i) => bag(i).length)).toEqual([1, 2, 0, 0, 1, 1]);
    expect(bag(1)).toEqual([...bag(0), ...bag(5)]); // drama, comedy
    const h = b.sequences.history!;
    expect(h.length).toBe(3);
    expect([...h.lengths]).toEqual([3, 1, 0, 1, 2, 0]);
    const seq = (i: number) => [...h.ids.subarray(i * 3, i * 3 + 3)];
    expect(seq(0)[0]).toBe(seq(4)[0]); // b c d: the last three items, 'b' first
    expect(seq(1).slice(1)).toEqual([0, 0]);
    expect(seq(2)).toEqual([0, 0, 0]);
    expect(seq(4)[0]).toBe(seq(4)[1]);
  });

  it('serve mode needs no label column', async () => {
    const spec = await fitted();
    const { y: _y, ...features } = TRAIN;
    const b = transform(spec, chunkOf(features), { mode: 'serve' });
    expect(b.labels).toBeUndefined();
    expect(b.batchSize).toBe(6);
  });

  it('splits string lists on a declared separator', async () => {
    const spec = await fit({ columns: [{ type: 'multi-valued', name: 'g', separator: '|' }] }, streamOf(chunkOf({ g: ['a|b', 'b', null, ''] })));
    const b = transform(spec, chunkOf({ g: ['b|a', 'c'] }));
    expect([...b.deep.ids]).toEqual([1, 2, 0]);
    expect([...b.deep.offsets]).toEqual([0, 2, 3]);
  });
});

describe('bad input', () => {
  const expectDetails = (e: { message: string; details: { row?: number; field?: string; fix?: string; file?: string } }, row: number, column: string, value: string) => {
    expect(e.details.row).toBe(row);
    expect(e.details.field).toBe(column);
    expect(e.details.file).toBe('fixture.csv');
    expect(e.details.fix).toBeTruthy();
    expect(e.message).toContain(`row ${row}`);
    expect(e.message).toContain(column);
    expect(e.message).toContain(value);
    expect(e.message).toContain('fix:');
  };

  it('NaN in a numeric column without a missing strategy names source, row, column and value', async () => {
    const spec = await fitted();
    const e = errorOf(() => transform(spec, chunkOf({ ...TRAIN, age: [18, 35, null, 70, 44, 29] })));
    expectDetails(e, 4, 'age', 'NaN');
    expect(e.details.fix).toContain('missing');
  });

  it('the earliest bad row is reported, whichever column it is in', async () => {
    const spec = await fitted();
    const e = errorOf(() => transform(spec, chunkOf({ ...TRAIN, city: ['a', 'b', 'c', 'd', 'e', 'f'], age: [1, 2, 3, 4, 5, NaN], y: ['no', 'no', 'x', 'no', 'no', 'no'] })));
    expectDetails(e, 4, 'y', '"x"');
  });

  it('Infinity is an error even with a missing strategy', async () => {
    const spec = await fitted();
    const e = errorOf(() => transform(spec, chunkOf({ ...TRAIN, income: [1, 2, 3, Infinity, 5, 6] })));
    expectDetails(e, 5, 'income', 'Infinity');
    expect(errorOf(() => transform(spec, chunkOf({ ...TRAIN, age: [1, -Infinity, 3, 4, 5, 6] }))).message).toContain('-Infinity');
  });

  it('a string in a numeric column is an error', async () => {
    const spec = await fitted();
    const e = errorOf(() => transform(spec, chunkOf({ ...TRAIN, age: ['18', '35', 'old', null, '44', '29'] })));
    expectDetails(e, 4, 'age', '"old"');
    expect(e.message).toContain("read by feature 'age_b'"); // the bucketized column reads 'age' first
    const served = errorOf(() => transform(spec, rowsToChunk([{ ...TRAIN, age: 'old' }].map(() => ({ city: 'rome', device: 'ios', user: 1, age: 'old', income: 3, genres: [], history: [], y: 'no' })))));
    expect(served.message).toContain('"old"');
  });

  it('a column missing from the data lists the available columns', async () => {
    const spec = await fitted();
    const { city: _c, ...rest } = TRAIN;
    const e = errorOf(() => transform(spec, chunkOf(rest)));
    expect(e.message).toContain("column 'city' (used by categorical column 'city') is not in the data");
    expect(e.message).toContain('available columns: device, user, age, income, genres, history, y');
    const f = await errorOfAsync(() => fit(CONFIG, streamOf(chunkOf(rest))));
    expect(f.message).toContain('available columns');
  });

  it('a label value that is neither class names the row and value', async () => {
    const spec = await fitted();
    const e = errorOf(() => transform(spec, chunkOf({ ...TRAIN, y: ['yes', 'no', 'maybe', 'no', 'yes', 'no'] })));
    expectDetails(e, 4, 'y', '"maybe"');
    expect(e.message).toContain('positive ["yes"] or negative ["no"]');
    const m = errorOf(() => transform(spec, chunkOf({ ...TRAIN, y: ['yes', null, 'no', 'no', 'yes', 'no'] })));
    expectDetails(m, 3, 'y', 'missing label');
    const f = await errorOfAsync(() => fit(CONFIG, streamOf(chunkOf({ ...TRAIN, y: ['yes', 'no', 'no', '?', 'no', 'yes'] }))));
    expect(f.details.row).toBe(5);
  });

  it('bad weights, labels of the wrong kind and non-integer identity ids are errors', async () => {
    const cfg: FeatureConfig = { columns: [{ type: 'categorical', name: 'u', identity: { numBuckets: 10 } }], label: { kind: 'regression', column: 'y', weight: 'w' } };
    const spec = await fit(cfg, streamOf(chunkOf({ u: [1, 2], y: [1, 2], w: [1, 1] })));
    expectDetails(errorOf(() => transform(spec, chunkOf({ u: [1, 2], y: [1, 2], w: [1, -1] }))), 3, 'w', '-1');
    expectDetails(errorOf(() => transform(spec, chunkOf({ u: [1, 2.5], y: [1, 2], w: [1, 1] }))), 3, 'u', '2.5');
    expectDetails(errorOf(() => transform(spec, chunkOf({ u: ['7', 'seven'], y: [1, 2], w: [1, 1] }))), 3, 'u', '"seven"');
    expectDetails(errorOf(() => transform(spec, chunkOf({ u: [1, 2], y: ['1', 'high'], w: [1, 1] }))), 3, 'y', '"high"');
  });

  it('a list column given plain strings without a separator is an error', async () => {
    const spec = await fitted();
    const e = errorOf(() => transform(spec, chunkOf({ ...TRAIN, genres: ['drama', null, null, null, null, null] })));
    expectDetails(e, 2, 'genres', '"drama"');
    expect(e.details.fix).toContain('separator');
  });

  it("onBadRow: 'skip' leaves bad rows out and reports them", async () => {
    const spec = await fitted();
    const chunk = chunkOf({ ...TRAIN, age: [18, null, 52, Infinity, 44, 29], y: ['yes', 'no', 'no', 'yes', '??', 'yes'] });
    const b = transform(spec, chunk, { onBadRow: 'skip' });
    expect(b.batchSize).toBe(3);
    expect(b.skippedRows).toBe(3);
    expect([...b.skippedRowNumbers]).toEqual([3, 5, 6]);
    expect([...b.rowNumbers]).toEqual([2, 4, 7]);
    expect(b.firstSkipReason).toContain('row 3');
    expect(b.firstSkipReason).toContain('NaN');
    const full = transform(spec, chunkOf(TRAIN));
    const keep = [0, 2, 5];
    expect([...b.labels!]).toEqual(keep.map((i) => full.labels![i]));
    expect([...b.dense.subarray(0, 3)]).toEqual([...full.dense.subarray(0, 3)]);
    const fittedSkip = await fit({ ...CONFIG, onBadRow: 'skip' }, streamOf(chunk));
    expect(fittedSkip.fitStats).toMatchObject({ rows: 6, skippedRows: 3 });
  });

  it('rowsToChunk rejects values it cannot represent, naming row and column', () => {
    const e = errorOf(() => rowsToChunk([{ a: 1 }, { a: { nested: true } }]));
    expect(e.details).toMatchObject({ row: 2, field: 'a' });
    expect(errorOf(() => rowsToChunk([{ a: ['x'] }, { a: 'y' }])).message).toContain('mixes lists');
  });
});
