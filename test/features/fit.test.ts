import { describe, expect, it } from 'vitest';
import {
  autoEmbeddingDim,
  fit,
  quantileBoundaries,
  quantileNormalize,
  specSizes,
  transform,
  type FeatureConfig,
  type FittedSpec,
} from '../../src/features/index.js';
import { chunkOf, errorOfAsync, streamOf } from './fixtures.js';

const fitOne = (config: FeatureConfig, columns: Record<string, readonly unknown[]>): Promise<FittedSpec> => fit(config, streamOf(chunkOf(columns)));
const column = (spec: FittedSpec, name: string) => spec.columns.find((c) => c.name === name)!;

describe('vocabulary', () => {
  const city = ['b', 'a', 'c', 'a', 'b', 'd', 'c', 'a', 'e', 'e', null];
  it('keeps values seen minCount times, most frequent first, ties broken by value', async () => {
    const spec = await fitOne({ columns: [{ type: 'categorical', name: 'city', vocabulary: { minCount: 2 } }] }, { city });
    expect(column(spec, 'city')).toMatchObject({ encoding: { kind: 'vocabulary', values: ['a', 'b', 'c', 'e'], fit: { minCount: 2, maxSize: null } } });
  });

  it('caps the vocabulary at maxSize and sizes the table as vocab + 1', async () => {
    const spec = await fitOne({ columns: [{ type: 'categorical', name: 'city', vocabulary: { maxSize: 3 } }] }, { city });
    expect(column(spec, 'city')).toMatchObject({ encoding: { values: ['a', 'b', 'c'] } });
    expect(specSizes(spec).wide.sizes).toEqual({ city: 4 });
    const b = transform(spec, chunkOf({ city: ['a', 'b', 'c', 'd', 'zz', null] }));
    expect([...b.wide.ids]).toEqual([1, 2, 3, 0, 0, 0]);
  });

  it('a given value list keeps its order', async () => {
    const spec = await fitOne({ columns: [{ type: 'categorical', name: 'city', values: ['c', 'a'] }] }, { city });
    expect(column(spec, 'city')).toMatchObject({ encoding: { kind: 'vocabulary', values: ['c', 'a'], fit: null } });
    expect([...transform(spec, chunkOf({ city: ['a', 'c', 'b'] })).wide.ids]).toEqual([2, 1, 0]);
  });

  it('numbers in a categorical column are the same values as their strings', async () => {
    const spec = await fitOne({ columns: [{ type: 'categorical', name: 'zip' }] }, { zip: [10, 20, 10, null] });
    expect(column(spec, 'zip')).toMatchObject({ encoding: { values: ['10', '20'] } });
    expect([...transform(spec, chunkOf({ zip: ['20', '10', '30'] })).wide.ids]).toEqual([2, 1, 0]);
  });

  it('fits multi-valued and sequence vocabularies over all items', async () => {
    const genres = [['drama', 'comedy'], ['drama'], null, ['horror', 'drama']];
    const spec = await fitOne(
      { columns: [{ type: 'multi-valued', name: 'genres' }, { type: 'sequence', name: 'hist', source: 'genres', length: 2 }] },
      { genres },
    );
    expect(column(spec, 'genres')).toMatchObject({ encoding: { values: ['drama', 'comedy', 'horror'] } });
    expect(specSizes(spec).sequences).toEqual([{ key: 'hist', length: 2, tableSize: 4, dim: autoEmbeddingDim(4, 64) }]);
  });
});

describe('numeric statistics', () => {
  const values = Array.from({ length: 100 }, (_, i) => i + 1); // 1..100

  it("quantile normalization is the paper's (i - 1) / (n_q - 1)", async () => {
    const spec = await fitOne({ columns: [{ type: 'numeric', name: 'x', normalize: 'quantile', numQuantiles: 4 }] }, { x: values });
    const c = column(spec, 'x');
    expect(c).toMatchObject({ normalize: { kind: 'quantile', numQuantiles: 4, boundaries: [25, 50, 75] } });
    const b = transform(spec, chunkOf({ x: [1, 25, 26, 50, 51, 75, 76, 100, -5, 1000] }));
    expect([...b.dense]).toEqual([0, 0, 1 / 3, 1 / 3, 2 / 3, 2 / 3, 1, 1, 0, 1].map(Math.fround));
  });

  it('quantile helpers follow the documented rule', () => {
    const sorted = Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(quantileBoundaries(sorted, 2)).toEqual([5]);
    expect(quantileBoundaries(sorted, 5)).toEqual([2, 4, 6, 8]);
    const q = Float64Array.from([2, 4, 6, 8]);
    expect([1, 2, 3, 8, 9].map((x) => quantileNormalize(q, x))).toEqual([0, 0, 0.25, 0.75, 1]);
  });

  it('ties at a boundary all fall into the lowest quantile they reach', async () => {
    const x = [...Array<number>(90).fill(0), ...Array.from({ length: 10 }, (_, i) => 100 + i)];
    const spec = await fitOne({ columns: [{ type: 'numeric', name: 'x', normalize: 'quantile', numQuantiles: 10 }] }, { x });
    const b = transform(spec, chunkOf({ x: [0, 100, 109] }));
    expect(b.dense[0]).toBe(0);
    expect(b.dense[2]).toBe(1);
  });

  it('standardizes with the population mean and std, after clip and log1p', async () => {
    const spec = await fitOne(
      {
        columns: [
          { type: 'numeric', name: 'x', normalize: 'standardize' },
          { type: 'numeric', name: 'y', source: 'x', log1p: true, clip: { min: 0, max: 50 }, normalize: 'standardize' },
          { type: 'numeric', name: 'c', normalize: 'standardize' },
        ],
      },
      { x: values, c: values.map(() => 7) },
    );
    expect(column(spec, 'x')).toMatchObject({ normalize: { kind: 'standardize', mean: 50.5 } });
    const std = (column(spec, 'x') as { normalize: { std: number } }).normalize.std;
    expect(std).toBeCloseTo(Math.sqrt((100 * 100 - 1) / 12), 10);
    const y = values.map((v) => Math.log1p(Math.min(v, 50)));
    const mean = y.reduce((a, b) => a + b) / y.length;
    expect((column(spec, 'y') as { normalize: { mean: number } }).normalize.mean).toBeCloseTo(mean, 12);
    expect(column(spec, 'c')).toMatchObject({ normalize: { mean: 7, std: 1 } }); // constant column: std 0 -> 1
  });

  it('fills missing values by the declared strategy and writes the indicator', async () => {
    const x = [1, 2, null, 4, 10];
    const spec = await fitOne(
      {
        columns: [
          { type: 'numeric', name: 'mean', source: 'x', missing: { strategy: 'mean', indicator: true } },
          { type: 'numeric', name: 'median', source: 'x', missing: { strategy: 'median' } },
          { type: 'numeric', name: 'zero', source: 'x', missing: { strategy: 'zero' } },
          { type: 'numeric', name: 'const', source: 'x', missing: { strategy: 'constant', value: -1 } },
        ],
      },
      { x },
    );
    expect(spec.columns.map((c) => (c as { missing: { fillValue: number } }).missing.fillValue)).toEqual([4.25, 3, 0, -1]);
    expect(specSizes(spec).dense).toEqual({ width: 5, names: ['mean', 'mean_missing', 'median', 'zero', 'const'] });
    const b = transform(spec, chunkOf({ x: [null, 5] }));
    expect([...b.dense]).toEqual([4.25, 1, 3, 0, -1, 5, 0, 5, 5, 5]);
  });

  it('fits quantile bucket boundaries (deduplicated) and sizes the bucket table', async () => {
    const x = [...Array<number>(50).fill(0), ...values];
    const spec = await fitOne({ columns: [{ type: 'bucketized', name: 'b', source: 'x', quantiles: 4 }] }, { x });
    const c = column(spec, 'b') as { boundaries: number[] };
    expect(c.boundaries).toEqual([0, 25, 63]);
    expect(specSizes(spec).wide.sizes).toEqual({ b: 5 });
  });

  it('reservoir quantiles are deterministic for a seed and exact while the sample holds every value', async () => {
    const x = Array.from({ length: 5000 }, (_, i) => (i * 7919) % 5000);
    const cfg = (reservoirSize: number, seed: number): FeatureConfig => ({
      columns: [{ type: 'numeric', name: 'x', normalize: 'quantile', numQuantiles: 5 }],
      sampling: { reservoirSize, seed },
    });
    const exact = await fitOne(cfg(100_000, 0), { x });
    expect(column(exact, 'x')).toMatchObject({ normalize: { boundaries: [999, 1999, 2999, 3999] } });
    const a = await fitOne(cfg(500, 1), { x });
    const b = await fitOne(cfg(500, 1), { x });
    expect(a).toEqual(b);
    const bounds = (column(a, 'x') as { normalize: { boundaries: number[] } }).normalize.boundaries;
    bounds.forEach((q, k) => expect(Math.abs(q - (k + 1) * 1000)).toBeLessThan(250));
  });

  it('a column without any value cannot be standardized', async () => {
    const e = await errorOfAsync(() =>
      fitOne({ columns: [{ type: 'numeric', name: 'x', normalize: 'standardize', missing: { strategy: 'zero' } }] }, { x: [null, null] }),
    );
    expect(e.message).toContain("column 'x'");
    expect(e.details.fix).toBeDefined();
  });
});

describe('embedding dimensions', () => {
  it('auto dim is min(cap, round(6 * n^0.25))', () => {
    expect(autoEmbeddingDim(1, 64)).toBe(6);
    expect(autoEmbeddingDim(16, 64)).toBe(12);
    expect(autoEmbeddingDim(10_000, 64)).toBe(60);
    expect(autoEmbeddingDim(1_000_000, 64)).toBe(64);
    expect(autoEmbeddingDim(1_000_000, 16)).toBe(16);
    expect(autoEmbeddingDim(81, 64)).toBe(18);
  });

  it('fit resolves dims from table sizes, honours explicit dims and the cap', async () => {
    const spec = await fitOne(
      {
        columns: [
          { type: 'categorical', name: 'a', hashBuckets: 9999 },
          { type: 'categorical', name: 'b', hashBuckets: 9999, embeddingDim: 3 },
          { type: 'categorical', name: 'c', feeds: ['wide'] },
        ],
        embeddingDimCap: 32,
      },
      { a: ['x'], b: ['y'], c: ['z'] },
    );
    expect(specSizes(spec).embeddings.map((e) => [e.key, e.tableSize, e.dim])).toEqual([
      ['a', 10000, 32],
      ['b', 10000, 3],
    ]);
    expect(column(spec, 'c')).toMatchObject({ embeddingDim: null });
  });
});

describe('labels', () => {
  it('fits a multiclass class list (numeric order for numbers) and encodes class indices', async () => {
    const spec = await fitOne({ columns: [{ type: 'numeric', name: 'x' }], label: { kind: 'multiclass', column: 'rating' } }, { x: [1, 2, 3, 4], rating: [5, 10, 1, 5] });
    expect(spec.label).toMatchObject({ kind: 'multiclass', classes: ['1', '5', '10'] });
    expect(specSizes(spec).label).toEqual({ kind: 'multiclass', classes: ['1', '5', '10'], outputDim: 3, hasWeights: false });
    const b = transform(spec, chunkOf({ x: [1, 2], rating: [10, 1] }));
    expect(b.labels).toEqual(Int32Array.from([2, 0]));
  });

  it('binary labels from positive values, predicates or 0/1; weights from a column', async () => {
    const cfg = (label: FeatureConfig['label']): FeatureConfig => ({ columns: [{ type: 'numeric', name: 'x' }], ...(label ? { label } : {}) });
    const p = await fitOne(cfg({ kind: 'binary', column: 'y', positive: ['>50K', '>50K.'] }), { x: [1, 2, 3], y: ['>50K', '<=50K', '>50K.'] });
    expect([...transform(p, chunkOf({ x: [1, 2, 3], y: ['>50K', '<=50K', '>50K.'] })).labels!]).toEqual([1, 0, 1]);
    const r = await fitOne(cfg({ kind: 'binary', column: 'rating', predicate: { op: '>=', value: 4 }, weight: 'w' }), { x: [1, 2], rating: [4, 3], w: [0.5, 2] });
    const b = transform(r, chunkOf({ x: [1, 2], rating: [4, 3], w: [0.5, 2] }));
    expect([...b.labels!]).toEqual([1, 0]);
    expect([...b.weights!]).toEqual([0.5, 2]);
    expect(specSizes(r).label).toEqual({ kind: 'binary', outputDim: 1, hasWeights: true });
    const z = await fitOne(cfg({ kind: 'binary', column: 'clicked' }), { x: [1, 2], clicked: [0, 1] });
    expect([...transform(z, chunkOf({ x: [1], clicked: [1] })).labels!]).toEqual([1]);
    const reg = await fitOne(cfg({ kind: 'regression', column: 'y' }), { x: [1, 2], y: [-1.5, 3] });
    expect([...transform(reg, chunkOf({ x: [1, 2], y: [-1.5, 3] })).labels!]).toEqual([-1.5, 3]);
  });
});
