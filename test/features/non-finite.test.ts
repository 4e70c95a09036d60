import { describe, expect, it } from 'vitest';
import { fit, rowsToChunk, transform, type FeatureConfig, type FittedSpec } from '../../src/features/index.js';
import { chunkOf, errorOf, errorOfAsync, streamOf } from './fixtures.js';

// Issue 13: numbers finite in float64 (JSON, DuckDB's DOUBLE) but not once transformed and stored as float32.
const FLT_MAX = 3.4028234663852886e38;
/** The smallest double that rounds to Infinity in float32 (2^128 - 2^103). */
const FLT_OVERFLOW = 3.4028235677973366e38;

const TRAIN = { x: [1, 2, 3, 4, 5, 6], y: [0, 1, 0, 1, 1, 0] };
const label = { kind: 'binary', column: 'y' } as const;
const specOf = (column: Record<string, unknown>, train: Record<string, readonly unknown[]> = TRAIN): Promise<FittedSpec> =>
  fit({ columns: [{ type: 'numeric', name: 'x', ...column }], label } as FeatureConfig, streamOf(chunkOf(train)));
const withX = (x: readonly (number | null)[]) => chunkOf({ x, y: x.map(() => 0) });

describe('numbers that overflow float32', () => {
  it('a value that rounds to Infinity in float32 is a bad value naming row, field, value and fix', async () => {
    const spec = await specOf({});
    expect(Math.fround(FLT_OVERFLOW)).toBe(Infinity);
    const e = errorOf(() => transform(spec, withX([1, 1e40, 3])));
    expect(e.details).toMatchObject({ file: 'fixture.csv', row: 3, field: 'x' });
    expect(e.details.fix).toMatch(/clip/);
    expect(e.message).toContain('1e+40');
    expect(errorOf(() => transform(spec, withX([-FLT_OVERFLOW]))).details.row).toBe(2);
    // The largest float32 is fine, and so is anything that rounds down to it.
    const ok = transform(spec, withX([FLT_MAX, -FLT_MAX, 3.40282356e38]), { mode: 'serve' });
    expect([...ok.dense]).toEqual([FLT_MAX, -FLT_MAX, FLT_MAX]);
  });

  it('is judged after the column transform: standardization can overflow, clip, log1p and quantiles cannot', async () => {
    const tiny = await specOf({ normalize: 'standardize' }, { x: [0, 1e-30, 0, 1e-30], y: [0, 1, 0, 1] });
    expect(tiny.columns[0]).toMatchObject({ normalize: { kind: 'standardize', std: 5e-31 } });
    // |x - mean| / std overflows float32 long before x does.
    const e = errorOf(() => transform(tiny, withX([1, 1e10])));
    expect(e.details).toMatchObject({ row: 3, field: 'x' });
    expect(e.message).toContain('10000000000');
    for (const column of [{ clip: { min: 0, max: 80 } }, { log1p: true }, { normalize: 'quantile', numQuantiles: 4 }]) {
      const spec = await specOf(column);
      const b = transform(spec, withX([1e40, 1e300]), { mode: 'serve' });
      expect(b.batchSize).toBe(2);
      expect(b.dense.every((v) => Number.isFinite(v))).toBe(true);
    }
    // A clip bound beyond float32 does not help.
    const wide = await specOf({ clip: { min: 0, max: 1e39 } });
    expect(errorOf(() => transform(wide, withX([3, 1e39]))).details.row).toBe(3);
  });

  it('refuses exactly the values whose transformed float32 is not finite (against a direct computation)', async () => {
    const base = await specOf({});
    const near = [FLT_MAX, FLT_OVERFLOW, 3.40282356e38, 1e38, 1e39, 2 ** 127, 2 ** 128, 1e300, 1.7976931348623157e308, 0, 1, 1e-300];
    const values = [...near, ...near.map((v) => -v), ...near.flatMap((v) => [v * 0.9999999, v * 1.0000001]).filter(Number.isFinite)];
    const columns = [
      { clip: null, log1p: false, normalize: { kind: 'none' } },
      { clip: null, log1p: false, normalize: { kind: 'standardize', mean: 5, std: 0.25 } },
      { clip: null, log1p: false, normalize: { kind: 'standardize', mean: -3e38, std: 2 } },
      { clip: { min: -1e39, max: 1e38 }, log1p: false, normalize: { kind: 'none' } },
      { clip: { min: 0, max: 1e300 }, log1p: true, normalize: { kind: 'standardize', mean: 1, std: 1e-37 } },
    ] as const;
    for (const c of columns) {
      const spec = { ...base, columns: [{ ...base.columns[0]!, ...c }] } as FittedSpec;
      const direct = (x: number): number => {
        let v = c.clip !== null ? Math.min(Math.max(x, c.clip.min), c.clip.max) : x;
        if (c.log1p) v = Math.log1p(v);
        return c.normalize.kind === 'standardize' ? (v - c.normalize.mean) / c.normalize.std : v;
      };
      const b = transform(spec, withX(values), { mode: 'serve', onBadRow: 'skip' });
      const kept = values.filter((x) => Number.isFinite(Math.fround(direct(x))));
      expect(kept.length > 0 && kept.length < values.length).toBe(true);
      expect([...b.rowNumbers].map((r) => values[r - 2])).toEqual(kept);
      expect([...b.dense]).toEqual(kept.map((x) => Math.fround(direct(x))));
    }
  });

  it("onBadRow: 'skip' leaves such rows out and reports them, like Infinity", async () => {
    const spec = await specOf({});
    const b = transform(spec, withX([1, 1e40, Infinity, 4]), { onBadRow: 'skip', mode: 'serve' });
    expect(b.batchSize).toBe(2);
    expect([...b.skippedRowNumbers]).toEqual([3, 4]);
    expect(b.firstSkipReason).toContain('1e+40');
    expect([...b.dense]).toEqual([1, 4]);
  });

  it('JSON rows (rowsToChunk) are judged alike; NaN in them is a missing value', async () => {
    const spec = await specOf({});
    const e = errorOf(() => transform(spec, rowsToChunk([{ x: 2 }, { x: 1e40 }], { source: 'request' }), { mode: 'serve' }));
    expect(e.details).toMatchObject({ file: 'request', row: 2, field: 'x' });
    // NaN is the in-memory form of a missing value: an error without a missing strategy, filled with one.
    const n = errorOf(() => transform(spec, rowsToChunk([{ x: Number.NaN }]), { mode: 'serve' }));
    expect(n.details).toMatchObject({ row: 1, field: 'x' });
    expect(n.message).toContain('NaN');
    const filled = await specOf({ missing: { strategy: 'zero' } });
    expect([...transform(filled, rowsToChunk([{ x: Number.NaN }]), { mode: 'serve' }).dense]).toEqual([0]);
  });

  it('fit judges rows as transform does, and refuses a fill value or statistics that do not fit float32', async () => {
    const e = await errorOfAsync(() => specOf({}, { x: [1, 2, 1e40], y: [0, 1, 0] }));
    expect(e.details).toMatchObject({ row: 4, field: 'x' });
    const skipped = await fit({ columns: [{ type: 'numeric', name: 'x' }], label, onBadRow: 'skip' }, streamOf(chunkOf({ x: [1, 2, 1e40], y: [0, 1, 0] })));
    expect(skipped.fitStats).toMatchObject({ skippedRows: 1 });
    // Quantile normalization maps any finite value into [0, 1]: nothing to refuse.
    await expect(specOf({ normalize: 'quantile' }, { x: [1, 2, 1e40], y: [0, 1, 0] })).resolves.toBeDefined();
    const fill = await errorOfAsync(() => specOf({ missing: { strategy: 'constant', value: 1e40 } }));
    expect(fill.details.field).toContain('x');
    expect(fill.message).toContain('1e+40');
    const huge = await errorOfAsync(() => specOf({ normalize: 'standardize' }, { x: [-1e300, 1e300], y: [0, 1] }));
    expect(huge.message).toMatch(/standardiz/);
  });

  it('bucketized sources take any finite number (a bucket id is no float input)', async () => {
    const spec = await fit(
      { columns: [{ type: 'bucketized', name: 'b', source: 'x', boundaries: [2, 4] }], label } as FeatureConfig,
      streamOf(chunkOf(TRAIN)),
    );
    const b = transform(spec, withX([1e40, -1e300]), { mode: 'serve' });
    expect([...b.wide.ids]).toEqual([3, 1]);
    expect(errorOf(() => transform(spec, withX([Infinity]))).message).toContain('Infinity');
  });

  it('regression labels and example weights must fit float32', async () => {
    const cfg: FeatureConfig = { columns: [{ type: 'numeric', name: 'x' }], label: { kind: 'regression', column: 'y', weight: 'w' } };
    const spec = await fit(cfg, streamOf(chunkOf({ x: [1, 2], y: [1, 2], w: [1, 1] })));
    const y = errorOf(() => transform(spec, chunkOf({ x: [1, 2], y: [1, 1e40], w: [1, 1] })));
    expect(y.details).toMatchObject({ row: 3, field: 'y' });
    expect(y.message).toContain('1e+40');
    const w = errorOf(() => transform(spec, chunkOf({ x: [1, 2], y: [1, 2], w: [1e40, 1] })));
    expect(w.details).toMatchObject({ row: 2, field: 'w' });
    const b = transform(spec, chunkOf({ x: [1, 2, 3], y: [1, -1e39, 2], w: [1, 1, 1e39] }), { onBadRow: 'skip' });
    expect([...b.rowNumbers]).toEqual([2]);
    expect([...b.labels!].every(Number.isFinite) && [...b.weights!].every(Number.isFinite)).toBe(true);
  });
});
