import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validateSparseBatch, type SparseBatch } from '../../src/core/sparse-batch.js';
import {
  fit,
  hashBucket,
  murmur3String,
  murmur3Words,
  parseFeatureConfig,
  parseFittedSpec,
  rowsToChunk,
  serializeFittedSpec,
  specSizes,
  transform,
  type FeatureConfig,
  type FittedSpec,
} from '../../src/features/index.js';
import { chunkOf, errorOf, streamOf } from './fixtures.js';

// Crossed columns with a multi-valued component: a bag of cross ids per row (docs/FEATURES.md, "crossed").

/** Bag of example b of `key` in a SparseBatch. */
const bagOf = (s: SparseBatch, key: string, b: number): number[] => {
  const f = s.keys.indexOf(key);
  expect(f).toBeGreaterThanOrEqual(0);
  const n = s.batchSize;
  return [...s.ids.subarray(s.offsets[f * n + b]!, s.offsets[f * n + b + 1]!)];
};
const bags = (s: SparseBatch, key: string): number[][] => Array.from({ length: s.batchSize }, (_, b) => bagOf(s, key, b));

/** The naive reference: every tuple of the cartesian product, in list order (first component slowest). */
function product(lists: readonly (readonly string[])[]): string[][] {
  let out: string[][] = [[]];
  for (const l of lists) out = out.flatMap((t) => l.map((v) => [...t, v]));
  return out;
}
const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const ordered = (t: readonly string[], commutative: boolean): string[] => (commutative ? [...t].sort(cmp) : [...t]);
function refHashId(tuple: readonly string[], n: number, commutative: boolean): number {
  const h = tuple.map((v) => murmur3String(v));
  if (commutative) h.sort((a, b) => a - b);
  return hashBucket(murmur3Words(Uint32Array.from(h), h.length), n);
}
/** The documented vocabulary rule over tuples: count every occurrence, keep >= minCount, most frequent first, ties by tuple. */
function refVocabulary(tuples: readonly string[][], minCount: number): Map<string, number> {
  const counts = new Map<string, { t: string[]; n: number }>();
  for (const t of tuples) {
    const key = JSON.stringify(t);
    const e = counts.get(key) ?? { t, n: 0 };
    e.n++;
    counts.set(key, e);
  }
  const kept = [...counts.values()].filter((e) => e.n >= minCount);
  kept.sort((a, b) => b.n - a.n || a.t.reduce((r, v, i) => r || cmp(v, b.t[i]!), 0));
  return new Map(kept.map((e, i) => [JSON.stringify(e.t), i + 1]));
}

type Row = { apps: string[] | null; imp: string | null };
/** Values of a row's components as lists: a missing value contributes none. */
const listsOf = (r: Row): string[][] => [r.apps ?? [], r.imp === null ? [] : [r.imp]];

const appArb = fc.constantFrom('netflix', 'pandora', 'maps', 'åre', 'mail', '');
const rowArb: fc.Arbitrary<Row> = fc.record({
  apps: fc.option(fc.array(appArb, { maxLength: 6 }), { nil: null }),
  imp: fc.option(fc.constantFrom('pandora', 'netflix', 'games', 'mail'), { nil: null }),
});

const appsConfig = (cross: Record<string, unknown>): FeatureConfig => ({
  columns: [
    { type: 'multi-valued', name: 'installed_apps', source: 'apps', hashBuckets: 1000, feeds: [] },
    { type: 'categorical', name: 'app_id', source: 'imp', feeds: [] },
    { type: 'crossed', name: 'installed_x_impressed', components: ['installed_apps', 'app_id'], feeds: ['wide', 'deep'], ...cross },
  ],
});

describe('crossed column with a multi-valued component', () => {
  it('hashed: the bag equals the naive cartesian-product reference', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(rowArb, { minLength: 1, maxLength: 20 }), fc.boolean(), fc.integer({ min: 1, max: 2 ** 31 }), async (rows, commutative, n) => {
        const spec = await fit(appsConfig({ hashBuckets: n, commutative }), [rowsToChunk(rows)]);
        const b = transform(spec, rowsToChunk(rows));
        const want = rows.map((r) => product(listsOf(r)).map((t) => refHashId(t, n, commutative)));
        expect(bags(b.wide, 'installed_x_impressed')).toEqual(want);
        expect(bags(b.deep, 'installed_x_impressed')).toEqual(want);
        validateSparseBatch(b.wide, specSizes(spec).wide.sizes);
      }),
      { numRuns: 80 },
    );
  });

  it('vocabulary: tuples are counted per occurrence and the bag equals the naive reference', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(rowArb, { minLength: 1, maxLength: 20 }),
        fc.array(rowArb, { maxLength: 10 }),
        fc.boolean(),
        fc.integer({ min: 1, max: 3 }),
        async (train, test, commutative, minCount) => {
          const spec = await fit(appsConfig({ vocabulary: { minCount }, commutative }), streamOf(rowsToChunk(train.slice(0, 5)), rowsToChunk(train.slice(5))));
          const vocab = refVocabulary(train.flatMap((r) => product(listsOf(r)).map((t) => ordered(t, commutative))), minCount);
          const fitted = spec.columns[2]!;
          expect(fitted.type === 'crossed' && fitted.encoding.kind === 'vocabulary' ? fitted.encoding.values.map((t) => JSON.stringify(t)) : null).toEqual([...vocab.keys()]);
          const all = [...train, ...test];
          const b = transform(spec, rowsToChunk(all));
          const want = all.map((r) => product(listsOf(r)).map((t) => vocab.get(JSON.stringify(ordered(t, commutative))) ?? 0));
          expect(bags(b.wide, 'installed_x_impressed')).toEqual(want);
          expect(specSizes(spec).wide.sizes.installed_x_impressed).toBe(vocab.size + 1);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('an empty or missing list, or a missing single value, gives an empty bag', async () => {
    for (const cross of [{ hashBuckets: 100 }, { vocabulary: {} }]) {
      const rows = [{ apps: ['maps'], imp: 'mail' }, { apps: [], imp: 'mail' }, { apps: null, imp: 'mail' }, { apps: ['maps'], imp: null }];
      const spec = await fit(appsConfig(cross), [rowsToChunk(rows)]);
      const b = transform(spec, rowsToChunk(rows));
      expect(bags(b.wide, 'installed_x_impressed').map((x) => x.length)).toEqual([1, 0, 0, 0]);
      expect(b.truncatedCrosses).toEqual({ installed_x_impressed: 0 });
    }
  });

  it('a one-item list gives the same id as the single-valued cross', async () => {
    const rows = [
      { apps: ['netflix'], app: 'netflix', imp: 'pandora' },
      { apps: ['maps'], app: 'maps', imp: 'pandora' },
      { apps: ['netflix'], app: 'netflix', imp: 'pandora' },
      { apps: ['Bachelors'], app: 'Bachelors', imp: 'Exec-managerial' },
    ];
    for (const [cross, commutative] of [[{ hashBuckets: 1000 }, false], [{ hashBuckets: 97 }, true], [{ vocabulary: {} }, false]] as const) {
      const spec = await fit(
        {
          columns: [
            { type: 'multi-valued', name: 'installed', source: 'apps', feeds: [] },
            { type: 'categorical', name: 'installed1', source: 'app', feeds: [] },
            { type: 'categorical', name: 'impressed', source: 'imp', feeds: [] },
            { type: 'crossed', name: 'bag', components: ['installed', 'impressed'], commutative, ...cross },
            { type: 'crossed', name: 'single', components: ['installed1', 'impressed'], commutative, ...cross },
          ],
        },
        [rowsToChunk(rows)],
      );
      const b = transform(spec, rowsToChunk(rows));
      expect(bags(b.wide, 'bag')).toEqual(bags(b.wide, 'single'));
      expect(bags(b.wide, 'bag').every((x) => x.length === 1 && x[0]! > 0)).toBe(true);
      // the pinned single-valued cross id of properties.test.ts holds for a one-item list too
      if ('hashBuckets' in cross && cross.hashBuckets === 1000) expect(bagOf(b.wide, 'bag', 3)).toEqual([869]);
    }
  });

  it('enumerates several lists in list order, the first component slowest', async () => {
    const spec = await fit(
      {
        columns: [
          { type: 'multi-valued', name: 'a', separator: '|', feeds: [] },
          { type: 'bucketized', name: 'xb', source: 'x', boundaries: [0, 10], feeds: [] },
          { type: 'multi-valued', name: 'c', feeds: [] },
          { type: 'crossed', name: 'axc', components: ['a', 'xb', 'c'], hashBuckets: 2 ** 30 },
        ],
      },
      [rowsToChunk([{ a: 'p', x: 1, c: ['u'] }])],
    );
    const b = transform(spec, rowsToChunk([{ a: 'p|q', x: 5, c: ['u', 'v', 'w'] }, { a: '', x: 5, c: ['u'] }, { a: 'p', x: null, c: ['u'] }]));
    const want = product([['p', 'q'], ['2'], ['u', 'v', 'w']]).map((t) => refHashId(t, 2 ** 30, false));
    expect(bags(b.wide, 'axc')).toEqual([want, [], []]);
  });

  it('maxCrossIds keeps the first tuples in list order and reports the truncated rows', async () => {
    const rows = [
      { apps: ['a', 'b', 'c', 'd', 'e'], imp: 'x' },
      { apps: ['a', 'b'], imp: 'x' },
      { apps: ['e', 'd', 'c'], imp: 'y' },
      { apps: ['e', 'd', 'c', 'b'], imp: null },
    ];
    const cfg = appsConfig({ hashBuckets: 1 << 20, maxCrossIds: 3 });
    const spec = await fit(cfg, [rowsToChunk(rows)]);
    expect(spec.fitStats.truncatedCrossRows).toEqual({ installed_x_impressed: 1 });
    expect(spec.columns[2]).toMatchObject({ bag: { pooling: 'sum', maxCrossIds: 3 } });
    const b = transform(spec, rowsToChunk(rows));
    const want = rows.map((r) => product(listsOf(r)).slice(0, 3).map((t) => refHashId(t, 1 << 20, false)));
    expect(bags(b.wide, 'installed_x_impressed')).toEqual(want);
    expect(b.truncatedCrosses).toEqual({ installed_x_impressed: 1 });
    const single = transform(spec, rowsToChunk([rows[0]!]));
    expect(single.truncatedCrosses).toEqual({ installed_x_impressed: 1 });
    expect(transform(spec, rowsToChunk([])).truncatedCrosses).toEqual({ installed_x_impressed: 0 });
    // a vocabulary cross counts only the tuples transform keeps
    const v = await fit(appsConfig({ vocabulary: {}, maxCrossIds: 2 }), [rowsToChunk(rows)]);
    expect(v.columns[2]).toMatchObject({ encoding: { values: [['a', 'x'], ['b', 'x'], ['d', 'y'], ['e', 'y']] } });
    expect(v.fitStats.truncatedCrossRows).toEqual({ installed_x_impressed: 2 });
  });

  it('counts truncated training rows with a fitted-quantile component (whose buckets fit in the same pass)', async () => {
    const spec = await fit(
      {
        columns: [
          { type: 'multi-valued', name: 'apps', feeds: [] },
          { type: 'bucketized', name: 'xq', source: 'x', quantiles: 2, feeds: [] },
          { type: 'crossed', name: 'c', components: ['apps', 'xq'], hashBuckets: 100, maxCrossIds: 1 },
        ],
      },
      [chunkOf({ apps: [['a', 'b'], ['a', 'b'], ['a']], x: [1, null, 3] })],
    );
    expect(spec.fitStats.truncatedCrossRows).toEqual({ c: 1 });
    const b = transform(spec, chunkOf({ apps: [['a', 'b'], ['a', 'b']], x: [1, null] }));
    expect(bags(b.wide, 'c').map((x) => x.length)).toEqual([1, 0]);
  });

  it('is a bag for specSizes: wide sums it, deep pools it with its pooling (default sum)', async () => {
    const spec = await fit(
      {
        columns: [
          { type: 'multi-valued', name: 'apps', hashBuckets: 50, feeds: [] },
          { type: 'categorical', name: 'imp', feeds: [] },
          { type: 'crossed', name: 'summed', components: ['apps', 'imp'], hashBuckets: 1000, feeds: ['wide', 'deep'] },
          { type: 'crossed', name: 'averaged', components: ['imp', 'apps'], hashBuckets: 1000, feeds: ['deep'], pooling: 'mean', embeddingDim: 4 },
          { type: 'crossed', name: 'single', components: ['imp', 'imp2'], hashBuckets: 10, feeds: ['deep'] },
          { type: 'categorical', name: 'imp2', source: 'imp', feeds: [] },
        ],
      },
      [rowsToChunk([{ apps: ['a'], imp: 'x' }])],
    );
    const s = specSizes(spec);
    expect(s.wide.keys).toEqual(['summed']);
    expect(s.wide.sizes).toEqual({ summed: 1001 });
    expect(s.embeddings).toEqual([
      { key: 'summed', tableSize: 1001, dim: 34, pooling: 'sum', multiValued: true },
      { key: 'averaged', tableSize: 1001, dim: 4, pooling: 'mean', multiValued: true },
      { key: 'single', tableSize: 11, dim: 11, pooling: 'sum', multiValued: false },
    ]);
    expect(spec.columns[4]).not.toHaveProperty('bag');
    const b = transform(spec, rowsToChunk([{ apps: ['a', 'b'], imp: 'x' }, { apps: [], imp: 'y' }]));
    expect(b.deep.keys).toEqual(['summed', 'averaged', 'single']);
    expect(bags(b.deep, 'averaged').map((x) => x.length)).toEqual([2, 0]);
    expect(b.truncatedCrosses).toEqual({ summed: 0, averaged: 0 });
  });

  it('round-trips through the JSON spec and rejects a bag that does not match the components', async () => {
    const rows = [{ apps: ['a', 'b'], imp: 'x' }, { apps: ['b'], imp: 'y' }];
    const spec = await fit(appsConfig({ vocabulary: {}, pooling: 'mean', maxCrossIds: 7 }), [rowsToChunk(rows)]);
    const loaded = parseFittedSpec(serializeFittedSpec(spec));
    expect(loaded).toStrictEqual(spec);
    expect(transform(loaded, rowsToChunk(rows)).wide).toEqual(transform(spec, rowsToChunk(rows)).wide);
    const edit = (f: (d: FittedSpec & { columns: Record<string, unknown>[] }) => void): string => {
      const d = JSON.parse(serializeFittedSpec(spec)) as FittedSpec & { columns: Record<string, unknown>[] };
      f(d);
      return errorOf(() => parseFittedSpec(d)).message;
    };
    expect(edit((d) => delete d.columns[2]!.bag)).toContain('bag must be set exactly when a component is multi-valued');
    expect(edit((d) => ((d.columns[2]!.bag as { maxCrossIds: number }).maxCrossIds = 0))).toContain('columns[2].bag.maxCrossIds');
  });
});

describe('crossed component config errors name the key', () => {
  const cols = [
    { type: 'multi-valued', name: 'apps' },
    { type: 'categorical', name: 'app_id' },
    { type: 'sequence', name: 'history', source: 'apps', length: 5 },
    { type: 'numeric', name: 'age' },
  ];
  const cfg = (cross: Record<string, unknown>): unknown => ({ columns: [...cols, { type: 'crossed', name: 'x', hashBuckets: 100, ...cross }] });

  it('resolves the bag settings, with defaults, only for crosses with a multi-valued component', () => {
    const r = parseFeatureConfig(cfg({ components: ['apps', 'app_id'] }));
    expect(r.columns[4]).toMatchObject({ type: 'crossed', bag: { pooling: 'sum', maxCrossIds: 1000 } });
    expect(parseFeatureConfig(cfg({ components: ['app_id', 'apps'], pooling: 'mean', maxCrossIds: 5 })).columns[4]).toMatchObject({ bag: { pooling: 'mean', maxCrossIds: 5 } });
    const plain = parseFeatureConfig({ columns: [cols[1], { type: 'categorical', name: 'b' }, { type: 'crossed', name: 'x', components: ['app_id', 'b'], hashBuckets: 10 }] });
    expect(plain.columns[2]).toMatchObject({ bag: null });
  });

  it('rejects sequence, numeric, crossed and unknown components at their key', () => {
    const cases: [string[], string, string, string][] = [
      [['apps', 'history'], 'columns[4].components[1]', "'history' is sequence", "add a multi-valued column with source 'apps'"],
      [['age', 'apps'], 'columns[4].components[0]', "'age' is numeric", 'bucketize it first'],
      [['apps', 'nope'], 'columns[4].components[1]', "unknown column 'nope'", 'apps, app_id'],
      [['apps', 'apps'], 'columns[4].components', 'twice', 'once'],
    ];
    for (const [components, field, message, fix] of cases) {
      const e = errorOf(() => parseFeatureConfig(cfg({ components })));
      expect(e.code).toBe('CONFIG');
      expect(e.details.field).toBe(field);
      expect(e.message).toContain(message);
      expect(e.details.fix).toContain(fix);
    }
    const nested = errorOf(() => parseFeatureConfig({ columns: [...cols, { type: 'crossed', name: 'x', components: ['apps', 'app_id'], hashBuckets: 10 }, { type: 'crossed', name: 'y', components: ['x', 'app_id'], hashBuckets: 10 }] }));
    expect(nested.details.field).toBe('columns[5].components[0]');
    expect(nested.details.fix).toContain('list its components instead');
  });

  it('rejects pooling and maxCrossIds on a cross without a multi-valued component, and a bad cap', () => {
    for (const key of ['pooling', 'maxCrossIds'] as const) {
      const e = errorOf(() => parseFeatureConfig({ columns: [cols[1], { type: 'categorical', name: 'b' }, { type: 'crossed', name: 'x', components: ['app_id', 'b'], hashBuckets: 10, [key]: key === 'pooling' ? 'mean' : 5 }] }));
      expect(e.details.field).toBe(`columns[2].${key}`);
      expect(e.message).toContain('only used by a crossed column with a multi-valued component');
    }
    expect(errorOf(() => parseFeatureConfig(cfg({ components: ['apps', 'app_id'], maxCrossIds: 0 }))).details.field).toBe('columns[4].maxCrossIds');
    expect(errorOf(() => parseFeatureConfig(cfg({ components: ['apps', 'app_id'], pooling: 'max' }))).details.field).toBe('columns[4].pooling');
  });
});
