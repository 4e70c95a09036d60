import { describe, expect, it } from 'vitest';
import { dataColumns, fit, parseFeatureConfig, parseFittedSpec, serializeFittedSpec, specSizes, type FittedSpec } from '../../src/features/index.js';
import { ADULT_CONFIG, chunkOf, errorOf, streamOf } from './fixtures.js';

const adultLike = (): Promise<FittedSpec> =>
  fit(
    ADULT_CONFIG,
    streamOf(
      chunkOf({
        age: [25, 38, 52, 61],
        workclass: ['Private', 'Private', 'State-gov', '?'],
        education: ['HS-grad', 'HS-grad', 'HS-grad', 'HS-grad'],
        marital_status: ['Never-married', 'Divorced', 'Divorced', 'Widowed'],
        occupation: ['Sales', 'Sales', 'Tech-support', '?'],
        relationship: ['Husband', 'Wife', 'Wife', 'Own-child'],
        race: ['White', 'Black', 'White', 'White'],
        sex: ['Male', 'Female', 'Male', 'Female'],
        native_country: ['United-States', 'Mexico', 'Mexico', 'United-States'],
        education_num: [9, 9, 13, 10],
        capital_gain: [0, 0, 5000, 0],
        capital_loss: [0, 0, 0, 1900],
        hours_per_week: [40, 50, 99, 20],
        income: ['<=50K', '>50K', '>50K', '<=50K'],
      }),
    ),
  );

const clone = (spec: FittedSpec): Record<string, unknown> => JSON.parse(serializeFittedSpec(spec)) as Record<string, unknown>;

describe('fitted spec format', () => {
  it('round-trips through JSON text exactly and validates on load', async () => {
    const spec = await adultLike();
    const text = serializeFittedSpec(spec);
    expect(parseFittedSpec(text)).toStrictEqual(spec);
    expect(serializeFittedSpec(parseFittedSpec(text))).toBe(text);
    expect(spec.formatVersion).toBe(1);
    expect(spec.fitStats).toEqual({ rows: 4, skippedRows: 0, reservoirSize: 100_000, seed: 0 });
  });

  it('derives every model size from the spec', async () => {
    const s = specSizes(await adultLike());
    expect(s.wide.keys).toEqual([
      'workclass', 'education', 'marital_status', 'occupation', 'relationship', 'race', 'sex', 'native_country',
      'age_buckets', 'education_x_occupation', 'age_x_education_x_occupation', 'native_country_x_occupation',
    ]);
    expect(s.wide.sizes).toMatchObject({ workclass: 4, education: 1, occupation: 101, native_country: 1001, age_buckets: 12, education_x_occupation: 1001 });
    expect(s.wide.totalSize).toBe(Object.values(s.wide.sizes).reduce((a, b) => a + b, 0));
    expect(s.wide.offsets.education).toBe(4);
    expect(s.embeddings.find((e) => e.key === 'native_country')).toEqual({ key: 'native_country', tableSize: 1001, dim: 8, pooling: 'sum', multiValued: false });
    expect(s.embeddings.map((e) => e.key)).not.toContain('sex');
    expect(s.dense).toEqual({ width: 5, names: ['age', 'education_num', 'capital_gain', 'capital_loss', 'hours_per_week'] });
    expect(s.label).toEqual({ kind: 'binary', outputDim: 1, hasWeights: false });
  });

  it('lists the data columns a spec reads and how to decode them', async () => {
    const spec = await adultLike();
    const cols = dataColumns(spec);
    expect(cols).toContainEqual({ name: 'age', kind: 'numeric' });
    expect(cols).toContainEqual({ name: 'workclass', kind: 'categorical' });
    expect(cols).toContainEqual({ name: 'income', kind: 'categorical' });
    expect(cols.map((c) => c.name)).not.toContain('education_x_occupation');
    const cfg = parseFeatureConfig({
      columns: [
        { type: 'categorical', name: 'n_cat', source: 'n' },
        { type: 'bucketized', name: 'n_b', source: 'n', boundaries: [1] },
        { type: 'multi-valued', name: 'g' },
        { type: 'multi-valued', name: 'h', separator: '|' },
      ],
      label: { kind: 'regression', column: 'y', weight: 'w' },
    });
    expect(dataColumns(cfg)).toEqual([
      { name: 'n', kind: 'numeric' },
      { name: 'g', kind: 'list' },
      { name: 'h', kind: 'categorical' },
      { name: 'y', kind: 'numeric' },
      { name: 'w', kind: 'numeric' },
    ]);
  });

  it('rejects another formatVersion with the fix', async () => {
    const data = { ...clone(await adultLike()), formatVersion: 2 };
    const e = errorOf(() => parseFittedSpec(data, { file: 'model/features.json' }));
    expect(e.code).toBe('BUNDLE');
    expect(e.message).toContain('formatVersion 2');
    expect(e.details).toMatchObject({ file: 'model/features.json', field: 'formatVersion' });
    expect(e.details.fix).toContain('refit');
  });

  it('names the path of a corrupted field', async () => {
    const data = clone(await adultLike()) as { columns: Record<string, unknown>[] };
    (data.columns[1] as { encoding: { values: unknown } }).encoding.values = 'HS-grad';
    const e = errorOf(() => parseFittedSpec(data));
    expect(e.details.field).toBe('columns[1].encoding.values');
    expect(e.message).toContain('expected array');
  });

  it('an unknown key in a saved spec lists the valid keys of that part', async () => {
    const data = clone(await adultLike()) as { columns: Record<string, unknown>[] };
    (data.columns[12] as Record<string, unknown>).mean = 3;
    const e = errorOf(() => parseFittedSpec(data));
    expect(e.details.field).toBe('columns[12].mean');
    expect(e.message).toContain('valid keys: type, name, source, feeds, clip, log1p, normalize, missing');
  });

  it('checks the invariants transform relies on', async () => {
    const base = await adultLike();
    const broken = (edit: (d: { columns: Record<string, unknown>[] }) => void): string => {
      const d = clone(base) as { columns: Record<string, unknown>[] };
      edit(d);
      return errorOf(() => parseFittedSpec(d)).message;
    };
    expect(broken((d) => ((d.columns[8] as { boundaries: number[] }).boundaries = [3, 2]))).toContain('strictly increasing');
    expect(broken((d) => ((d.columns[0] as { encoding: { values: string[] } }).encoding.values = ['a', 'a']))).toContain('duplicate');
    expect(broken((d) => ((d.columns[9] as { components: string[] }).components = ['education', 'age']))).toContain("'age' is not a categorical, bucketized or multi-valued column");
    expect(broken((d) => ((d.columns[9] as { bag: unknown }).bag = { pooling: 'sum', maxCrossIds: 10 }))).toContain('bag must be set exactly when a component is multi-valued');
    expect(broken((d) => ((d.columns[0] as { embeddingDim: null }).embeddingDim = null))).toContain('embeddingDim');
    expect(broken((d) => ((d.columns[15] as { normalize: { boundaries: number[] } }).normalize.boundaries = [1]))).toContain('numQuantiles - 1');
    expect(broken((d) => ((d.columns[12] as { normalize: { std: number } }).normalize.std = 0))).toContain('columns[12].normalize.std');
    expect(errorOf(() => parseFittedSpec('{"formatVersion": 1,')).message).toContain('not valid JSON');
  });
});
