import { describe, expect, it } from 'vitest';
import { parseFeatureConfig, parseFeatureConfigYaml, type FeatureConfig } from '../../src/features/index.js';
import { errorOf } from './fixtures.js';

const base = (columns: unknown[], extra: Record<string, unknown> = {}): unknown => ({ columns, ...extra });

describe('feature config validation', () => {
  it('fills in defaults', () => {
    const cfg = parseFeatureConfig(base([{ type: 'categorical', name: 'city' }, { type: 'numeric', name: 'age' }]));
    expect(cfg.onBadRow).toBe('error');
    expect(cfg.embeddingDimCap).toBe(64);
    expect(cfg.sampling).toEqual({ reservoirSize: 100_000, seed: 0 });
    expect(cfg.columns[0]).toEqual({ type: 'categorical', name: 'city', source: 'city', prefix: null, feeds: ['wide', 'deep'], embeddingDim: null, encoding: { kind: 'vocabulary', minCount: 1, maxSize: null } });
    expect(cfg.columns[1]).toMatchObject({ type: 'numeric', feeds: ['deep'], normalize: 'none', missing: { strategy: 'error', value: null, indicator: false } });
  });

  it('an unknown top-level key lists the valid keys', () => {
    const e = errorOf(() => parseFeatureConfig(base([{ type: 'numeric', name: 'a' }], { colums: [] })));
    expect(e.code).toBe('CONFIG');
    expect(e.message).toContain("'colums'");
    expect(e.message).toContain('valid keys: columns, label, onBadRow, embeddingDimCap, sampling');
    expect(e.message).toContain("did you mean 'columns'");
  });

  it('an unknown column key lists the valid keys of that column type', () => {
    const e = errorOf(() => parseFeatureConfig(base([{ type: 'numeric', name: 'a' }, { type: 'categorical', name: 'b', minCount: 3 }])));
    expect(e.details.field).toBe('columns[1].minCount');
    expect(e.message).toContain('valid keys: type, name, source, feeds, embeddingDim, prefix, vocabulary, values, hashBuckets, identity');
    expect(e.details.fix).toContain('vocabulary');
  });

  it('an unknown nested key lists the keys of the nested object', () => {
    const e = errorOf(() => parseFeatureConfig(base([{ type: 'categorical', name: 'b', vocabulary: { minCnt: 3 } }])));
    expect(e.details.field).toBe('columns[0].vocabulary.minCnt');
    expect(e.message).toContain('valid keys: minCount, maxSize');
    expect(e.message).toContain("did you mean 'minCount'");
    const m = errorOf(() => parseFeatureConfig(base([{ type: 'numeric', name: 'x', missing: { strategy: 'mean', indicatr: true } }])));
    expect(m.message).toContain('valid keys: strategy, value, indicator');
  });

  it('an unknown label key lists the keys of that label kind', () => {
    const e = errorOf(() => parseFeatureConfig(base([{ type: 'numeric', name: 'a' }], { label: { kind: 'binary', column: 'y', positives: ['1'] } })));
    expect(e.details.field).toBe('label.positives');
    expect(e.message).toContain('valid keys: kind, column, positive, negative, predicate, weight');
  });

  it('an unknown column type or label kind lists the valid ones', () => {
    expect(errorOf(() => parseFeatureConfig(base([{ type: 'categorial', name: 'a' }]))).message).toContain('valid types: categorical, numeric, bucketized, crossed, multi-valued, sequence');
    expect(errorOf(() => parseFeatureConfig(base([{ type: 'numeric', name: 'a' }], { label: { kind: 'ordinal', column: 'y' } }))).message).toContain('valid kinds: binary, regression, multiclass');
  });

  it('wrong value types name the path', () => {
    const e = errorOf(() => parseFeatureConfig(base([{ type: 'categorical', name: 'a', hashBuckets: 'many' }])));
    expect(e.details.field).toBe('columns[0].hashBuckets');
    expect(e.message).toContain('expected number');
  });

  it('a numeric column feeding wide must be bucketized', () => {
    const e = errorOf(() => parseFeatureConfig(base([{ type: 'numeric', name: 'age', feeds: ['wide', 'deep'] }])));
    expect(e.message).toContain('cannot feed wide');
    expect(e.details.fix).toContain('bucketized');
  });

  it('rejects contradictory or incomplete column settings', () => {
    const cases: [unknown, string][] = [
      [{ type: 'categorical', name: 'a', hashBuckets: 10, values: ['x'] }, 'one encoding'],
      [{ type: 'categorical', name: 'a', values: ['x', 'x'] }, "'x' twice"],
      [{ type: 'bucketized', name: 'a' }, 'exactly one of boundaries or quantiles'],
      [{ type: 'bucketized', name: 'a', boundaries: [1, 1] }, 'strictly increasing'],
      [{ type: 'numeric', name: 'a', numQuantiles: 4 }, 'only used with normalize: quantile'],
      [{ type: 'numeric', name: 'a', missing: { strategy: 'constant' } }, 'needs a value'],
      [{ type: 'numeric', name: 'a', missing: { strategy: 'error', indicator: true } }, 'missing indicator'],
      [{ type: 'numeric', name: 'a', clip: { min: 3, max: 1 } }, 'clip.min'],
      [{ type: 'categorical', name: 'a', feeds: ['wide'], embeddingDim: 8 }, 'does not feed deep'],
      [{ type: 'sequence', name: 'a', length: 5, feeds: ['wide'] }, 'only feed deep'],
    ];
    for (const [col, text] of cases) expect(errorOf(() => parseFeatureConfig(base([col]))).message).toContain(text);
  });

  it('checks crossed components', () => {
    const cat = { type: 'categorical', name: 'a' };
    const cross = (components: string[], extra = {}) => ({ type: 'crossed', name: 'x', components, hashBuckets: 10, ...extra });
    expect(errorOf(() => parseFeatureConfig(base([cat, cross(['a', 'zz'])]))).message).toContain("unknown column 'zz'");
    expect(errorOf(() => parseFeatureConfig(base([cat, { type: 'numeric', name: 'n' }, cross(['a', 'n'])]))).details.fix).toContain('bucketize');
    expect(errorOf(() => parseFeatureConfig(base([cat, cross(['a', 'a'])]))).message).toContain('twice');
    const q = { type: 'bucketized', name: 'q', quantiles: 4 };
    const e = errorOf(() => parseFeatureConfig(base([cat, q, { type: 'crossed', name: 'x', components: ['a', 'q'], vocabulary: {} }])));
    expect(e.details.fix).toContain('explicit boundaries');
  });

  it('rejects duplicate column names and bad labels', () => {
    expect(errorOf(() => parseFeatureConfig(base([{ type: 'numeric', name: 'a' }, { type: 'categorical', name: 'a' }]))).message).toContain("two columns are named 'a'");
    const label = (l: unknown) => () => parseFeatureConfig(base([{ type: 'numeric', name: 'a' }], { label: l }));
    expect(errorOf(label({ kind: 'binary', column: 'y', positive: ['1'], predicate: { op: '>', value: 0 } })).message).toContain('not both');
    expect(errorOf(label({ kind: 'binary', column: 'y', negative: ['0'] })).message).toContain('needs label.positive');
    expect(errorOf(label({ kind: 'binary', column: 'y', positive: ['1'], negative: ['1'] })).message).toContain('both positive and negative');
    const badEvent = errorOf(label({ kind: 'regression', column: 'y', event: { op: '=>', value: 4 } }));
    expect(badEvent.message).toContain('event');
    expect(errorOf(label({ kind: 'regression', column: 'y', event: { op: '>=', value: 4, inclusive: true } })).message).toContain('inclusive');
  });

  it('reads YAML and reports YAML syntax errors with the file', () => {
    const cfg = parseFeatureConfigYaml(
      `columns:\n  - { type: categorical, name: city, hashBuckets: 100 }\n  - { type: numeric, name: age, normalize: standardize }\nlabel: { kind: binary, column: clicked, predicate: { op: '>=', value: 1 } }\n`,
    );
    expect(cfg.columns.map((c) => c.type)).toEqual(['categorical', 'numeric']);
    expect(cfg.label).toMatchObject({ kind: 'binary', predicate: { op: '>=', value: 1 } });
    const e = errorOf(() => parseFeatureConfigYaml('columns: [ {', { file: 'features.yaml' }));
    expect(e.details.file).toBe('features.yaml');
    const k = errorOf(() => parseFeatureConfigYaml('columns:\n  - { type: numeric, name: a, normalise: standardize }\n', { file: 'f.yaml' }));
    expect(k.message).toContain('f.yaml');
    expect(k.message).toContain("did you mean 'normalize'");
  });

  it('the typed builders produce the same plain data', async () => {
    const { categorical, numeric, binaryLabel } = await import('../../src/features/index.js');
    const typed: FeatureConfig = { columns: [categorical({ name: 'a', hashBuckets: 8 }), numeric({ name: 'b' })], label: binaryLabel({ column: 'y' }) };
    expect(parseFeatureConfig(typed)).toEqual(
      parseFeatureConfig({ columns: [{ type: 'categorical', name: 'a', hashBuckets: 8 }, { type: 'numeric', name: 'b' }], label: { kind: 'binary', column: 'y' } }),
    );
  });
});
