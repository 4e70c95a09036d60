import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { applyOverride, parsePath } from '../../src/experiments/config-path.js';
import { builtinSuites, expandSuite, loadSuite, parseSuite } from '../../src/experiments/suite.js';
import { parseRunConfig } from '../../src/train/run-config.js';
import { tinySuite } from './tiny-suite.js';

describe('override paths', () => {
  const config = () => ({
    model: { kind: 'wide_deep', deep: { type: 'mlp', hidden: [100, 50] } },
    features: { columns: [{ type: 'categorical', name: 'a' }, { type: 'crossed', name: 'ab', hashBuckets: 10 }, { type: 'crossed', name: 'ac', hashBuckets: 10 }] },
  });

  it('sets keys, creates missing mappings, indexes and selects array elements', () => {
    const c = config() as Record<string, unknown> & ReturnType<typeof config>;
    applyOverride(c, 'model.deep.hidden', [8]);
    applyOverride(c, 'model.deep.dropout', 0.3);
    applyOverride(c, 'train.earlyStopping.patience', 1);
    applyOverride(c, 'features.columns[0].embeddingDim', 4);
    applyOverride(c, 'features.columns[type=crossed].hashBuckets', 1000);
    expect(c.model.deep).toEqual({ type: 'mlp', hidden: [8], dropout: 0.3 });
    expect(c.train).toEqual({ earlyStopping: { patience: 1 } });
    expect(c.features.columns.map((x) => (x as { hashBuckets?: number }).hashBuckets)).toEqual([undefined, 1000, 1000]);
    expect((c.features.columns[0] as { embeddingDim?: number }).embeddingDim).toBe(4);
  });

  it('null deletes, + appends', () => {
    const c = config() as Record<string, unknown> & ReturnType<typeof config>;
    applyOverride(c, 'features.columns[type=crossed]', null);
    applyOverride(c, 'features.columns+', [{ type: 'crossed', name: 'x' }]);
    applyOverride(c, 'features.columns+', { type: 'crossed', name: 'y' });
    expect(c.features.columns.map((x) => x.name)).toEqual(['a', 'x', 'y']);
    applyOverride(c, 'model.deep.hidden', null);
    expect(c.model.deep).toEqual({ type: 'mlp' });
  });

  it('errors name the path and the problem', () => {
    const c = config();
    expect(() => applyOverride(c, 'features.columns[name=zzz].hashBuckets', 1)).toThrow(/features.columns\[name=zzz\].*no element has name=zzz/);
    expect(() => applyOverride(c, 'features.columns[9].x', 1)).toThrow(/index 9 is out of range/);
    expect(() => applyOverride(c, 'model.kind.x', 1)).toThrow(/non-mapping/);
    expect(() => parsePath('a..b')).toThrow(/expected a key/);
    expect(() => parsePath('a[x]')).toThrow(/neither an index nor field=value/);
    expect(parsePath('a.b[2][k=v]+')).toEqual({ append: true, segments: [{ kind: 'key', key: 'a' }, { kind: 'key', key: 'b' }, { kind: 'index', index: 2 }, { kind: 'select', field: 'k', value: 'v' }] });
  });
});

describe('suites', () => {
  it('grid x variants x seeds expand into named trials with stable keys', () => {
    const s = parseSuite({
      base: { data: { dataset: 'synthetic' }, features: { columns: [] } },
      variants: [{ name: 'a', set: { 'model.deep.dropout': 0.1 } }, { name: 'b' }],
      grid: { 'model.kind': ['wide', 'deep'], 'model.deep.hidden': { small: [8], big: [64, 32] } },
      seeds: [1, 2],
      baseline: 'b / kind=deep / big',
    });
    expect(s.variants.map((v) => v.name)).toEqual([
      'a / kind=wide / small', 'a / kind=wide / big', 'a / kind=deep / small', 'a / kind=deep / big',
      'b / kind=wide / small', 'b / kind=wide / big', 'b / kind=deep / small', 'b / kind=deep / big',
    ]);
    const trials = expandSuite(s);
    expect(trials).toHaveLength(16);
    expect(trials[0]!.config).toMatchObject({ seed: 1, model: { kind: 'wide', deep: { dropout: 0.1, hidden: [8] } } });
    expect(new Set(trials.map((t) => t.key)).size).toBe(16);
    // Keys depend on the overrides and the seed only, not on key order or the base.
    expect(expandSuite(s).map((t) => t.key)).toEqual(trials.map((t) => t.key));
    const s2 = parseSuite({ base: { data: { dataset: 'adult' }, features: { columns: [] } }, grid: { 'model.deep.hidden': { small: [8] }, 'model.kind': ['wide'] }, seeds: [1] });
    expect(expandSuite(s2)[0]!.key).toBe(trials.find((t) => t.variant === 'b / kind=wide / small' && t.seed === 1)!.key);
  });

  it('rejects unknown keys, an unknown baseline, repeated seeds and duplicate names', () => {
    const base = { data: { dataset: 'synthetic' }, features: { columns: [] } };
    expect(() => parseSuite({ base, grd: {} })).toThrow(/unknown: grd/);
    expect(() => parseSuite({ base, grid: { 'model.kind': ['wide'] }, baseline: 'nope' })).toThrow(/baseline nope is not a variant.*kind=wide/);
    expect(() => parseSuite({ base, seeds: [1, 1] })).toThrow(/seeds repeat/);
    expect(() => parseSuite({ base, variants: [{ name: 'x' }, { name: 'x' }] })).toThrow(/two variants are named x/);
    expect(() => parseSuite({ base, metric: 'auc' })).toThrow(/test.<name>/);
    expect(() => loadSuite('no-such-suite')).toThrow(/no built-in suite named no-such-suite.*memorization/);
  });

  it('every built-in suite loads and every trial config validates', () => {
    const names = builtinSuites();
    expect(names).toEqual(expect.arrayContaining(['memorization', 'crosses', 'depth', 'optimizers', 'gru', 'init', 'long-tail']));
    for (const name of names) {
      const suite = loadSuite(name);
      const trials = expandSuite(suite);
      expect(trials.length).toBeGreaterThan(0);
      for (const t of trials) expect(() => parseRunConfig(t.config, `${name}: ${t.variant}`)).not.toThrow();
    }
  });

  it('the tiny test suite parses', () => {
    expect(expandSuite(tinySuite()).map((t) => `${t.variant}@${t.seed}`)).toEqual(['kind=wide@1', 'kind=wide@2', 'kind=wide_deep@1', 'kind=wide_deep@2']);
    expect(readFileSync(new URL('../../examples/suites/bases/synthetic.yaml', import.meta.url), 'utf8')).toContain('dataset: synthetic');
  });
});
