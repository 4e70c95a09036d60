import type { Rng } from '../../src/core/rng.js';
import { sparseBatchFromBags } from '../../src/core/sparse-batch.js';
import type { ModelBatch, ModelSizes } from '../../src/model/sizes.js';

/** Input sizes of a small model with every kind of part: wide ids and a cross, pooled embeddings, a sequence, numerics. */
export const sizes: ModelSizes = {
  objective: 'binary',
  wide: [
    { key: 'a', size: 6 },
    { key: 'b', size: 5 },
    { key: 'a_x_b', size: 31 },
  ],
  embeddings: [
    { key: 'a', size: 6, dim: 4, pooling: 'sum' },
    { key: 'tags', size: 8, dim: 3, pooling: 'mean' },
  ],
  sequences: [{ key: 'hist', size: 8, dim: 4, length: 3 }],
  denseWidth: 2,
};

/** A batch for `sizes` whose label is planted on the (a, b) cross and on one numeric feature. */
export function makeBatch(rng: Rng, n: number): ModelBatch {
  const a: number[][] = [];
  const b: number[][] = [];
  const ab: number[][] = [];
  const tags: number[][] = [];
  const hist: number[][] = [];
  const dense = new Float32Array(n * 2);
  const labels = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const ai = 1 + rng.int(5);
    const bi = 1 + rng.int(4);
    a.push([ai]);
    b.push([bi]);
    ab.push([1 + ((ai * 5 + bi) % 30)]);
    tags.push(Array.from({ length: rng.int(3) }, () => 1 + rng.int(7)));
    hist.push(Array.from({ length: 1 + rng.int(4) }, () => 1 + rng.int(7)));
    dense[i * 2] = rng.normal();
    dense[i * 2 + 1] = rng.normal();
    const logit = (ai === bi ? 2.5 : -1) + 1.5 * (dense[i * 2] as number);
    labels[i] = rng.uniform() < 1 / (1 + Math.exp(-logit)) ? 1 : 0;
  }
  return {
    size: n,
    wide: sparseBatchFromBags({ a, b, a_x_b: ab }),
    deep: sparseBatchFromBags({ a, tags, hist }),
    dense,
    labels,
  };
}
