import { describe, expect, it } from 'vitest';
import { parseModelConfig } from '../../src/model/config.js';
import type { ModelSizes } from '../../src/model/sizes.js';
import { stateLayoutOf } from '../../src/model/state-layout.js';
import { WideDeepModel } from '../../src/model/wide-deep.js';

const sizes: ModelSizes = {
  objective: 'binary',
  wide: [
    { key: 'a', size: 5 },
    { key: 'b', size: 3 },
  ],
  embeddings: [
    { key: 'a', size: 5, dim: 3, pooling: 'sum' },
    { key: 'c', size: 7, dim: 2, pooling: 'mean' },
  ],
  sequences: [{ key: 'hist', size: 6, dim: 2, length: 3 }],
  denseWidth: 2,
};

const CASES: { name: string; sizes: ModelSizes; model: Record<string, unknown> }[] = [
  { name: 'wide & deep MLP with batch norm', sizes, model: { kind: 'wide_deep', deep: { type: 'mlp', hidden: [4, 3], batchNorm: true }, optimizers: { deep: { type: 'adam', lr: 0.01 } } } },
  { name: 'wide multiclass (sgd wide)', sizes: { ...sizes, objective: 'multiclass', numClasses: 3 }, model: { kind: 'wide', optimizers: { wide: { type: 'sgd', lr: 0.1 } } } },
  {
    name: 'deep GRU (lazy-adam embeddings, sgd with momentum)',
    sizes,
    model: { kind: 'deep', deep: { type: 'gru', sequence: 'hist', hidden: 3, head: { hidden: [2] } }, optimizers: { embeddings: { type: 'lazy-adam' }, deep: { type: 'sgd', lr: 0.1, momentum: 0.9 } } },
  },
  { name: 'deep MLP regression (adagrad)', sizes: { ...sizes, objective: 'regression' }, model: { kind: 'deep', deep: { type: 'mlp', hidden: [3] } } },
];

const lengths = (m: ReadonlyMap<string, Float32Array>): [string, number][] => [...m].map(([k, v]) => [k, v.length] as [string, number]).sort();
const sorted = (m: ReadonlyMap<string, number>): [string, number][] => [...m].sort();

describe('stateLayoutOf', () => {
  it.each(CASES)('names every tensor exportState writes, with its length: $name', async (c) => {
    const config = parseModelConfig(c.model);
    const model = await WideDeepModel.create(c.sizes, config, { seed: 1 });
    try {
      expect(sorted(stateLayoutOf(c.sizes, config, 'weights').tensors)).toEqual(lengths(model.exportState('weights').tensors));
      expect(stateLayoutOf(c.sizes, config, 'weights').averages.size).toBe(0);
      const full = stateLayoutOf(c.sizes, config, 'full');
      expect(sorted(full.tensors)).toEqual(lengths(model.exportState('full').tensors));
      model.startAveraging(0.9);
      expect(sorted(new Map([...full.tensors, ...full.averages]))).toEqual(lengths(model.exportState('full').tensors));
    } finally {
      await model.release();
    }
  });

  it('works out absurd sizes as plain numbers, allocating nothing', () => {
    const config = parseModelConfig({ kind: 'wide_deep', deep: { type: 'mlp', hidden: [1e9] } });
    const huge: ModelSizes = { ...sizes, embeddings: [{ key: 'a', size: 5e7 + 1, dim: 1e4, pooling: 'sum' }] };
    const before = process.memoryUsage().rss;
    const t = stateLayoutOf(huge, config, 'weights').tensors;
    expect(t.get('emb.a')).toBe((5e7 + 1) * 1e4);
    expect(t.get('dense.deep.0.weight')).toBe((1e4 + 2) * 1e9);
    expect(process.memoryUsage().rss - before).toBeLessThan(200e6);
  });
});
