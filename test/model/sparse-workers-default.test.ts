import { describe, expect, it } from 'vitest';
import { type LoadedBundle, modelOfBundle } from '../../src/artifact/bundle-model.js';
import type { Manifest } from '../../src/artifact/manifest-schema.js';
import type { FittedSpec } from '../../src/features/fitted-spec.js';
import { parseModelConfig } from '../../src/model/config.js';
import { ShardedEmbeddingsModelPart } from '../../src/model/parts/index.js';
import type { ModelSizes } from '../../src/model/sizes.js';
import { defaultSparseWorkers, embeddingTableBytes, SPARSE_WORKERS_FROM_BYTES } from '../../src/model/sparse-workers.js';
import { WideDeepModel } from '../../src/model/wide-deep.js';

/** `tables` embedded features of `rows` x 16 (lazy Adam: w, m and v per row, 192 bytes). */
function sizesOf(tables: number, rows: number): ModelSizes {
  return {
    objective: 'binary',
    wide: [{ key: 'c0', size: 10 }],
    embeddings: Array.from({ length: tables }, (_, i) => ({ key: `c${i}`, size: rows, dim: 16, pooling: 'sum' as const })),
    sequences: [],
    denseWidth: 2,
  };
}
const config = parseModelConfig({ kind: 'wide_deep', deep: { type: 'mlp', hidden: [8] }, optimizers: { embeddings: { type: 'lazy-adam', lr: 1e-3 } } });
const rowsOver = Math.ceil(SPARSE_WORKERS_FROM_BYTES / 192); // one table of these rows is just over the line

describe('sparse workers by default', () => {
  it('counts the tables with their optimizer state', () => {
    expect(embeddingTableBytes(sizesOf(3, 1000), config)).toBe(3 * 1000 * 16 * 3 * 4);
    expect(embeddingTableBytes(sizesOf(3, 1000), parseModelConfig({ ...config, kind: 'wide' }))).toBe(0);
  });

  it('none while the tables fit the caches, else one per core beside the training thread, at most tables - 1', () => {
    expect(defaultSparseWorkers(sizesOf(26, 1000), config, 16)).toBe(0);
    expect(defaultSparseWorkers(sizesOf(26, 100_000), config, 2)).toBe(1);
    expect(defaultSparseWorkers(sizesOf(26, 100_000), config, 16)).toBe(15);
    expect(defaultSparseWorkers(sizesOf(26, 100_000), config, 1)).toBe(0);
    expect(defaultSparseWorkers(sizesOf(3, 100_000), config, 16)).toBe(2);
    expect(defaultSparseWorkers(sizesOf(1, rowsOver), config, 16)).toBe(0); // one table: nothing to share out
    expect(defaultSparseWorkers(sizesOf(2, rowsOver - 1), config, 16)).toBe(1);
    expect(defaultSparseWorkers(sizesOf(2, Math.floor(rowsOver / 2) - 1), config, 16)).toBe(0);
  });

  it('a model over the line gets them from its thread count; 0 keeps them off', async () => {
    const sizes = sizesOf(2, rowsOver);
    const sharded = async (options: { threads: number; sparseWorkers?: number }): Promise<boolean> => {
      const model = await WideDeepModel.create(sizes, config, { seed: 1, ...options });
      try {
        return model.parts.some((p) => p instanceof ShardedEmbeddingsModelPart);
      } finally {
        await model.release();
      }
    };
    expect(await sharded({ threads: 2 })).toBe(true);
    expect(await sharded({ threads: 1 })).toBe(false);
    expect(await sharded({ threads: 2, sparseWorkers: 0 })).toBe(false);
  }, 60_000);

  it('a model built from a bundle scores and gets none, with the same predictions as the trained model', async () => {
    const sizes = sizesOf(2, rowsOver);
    const trained = await WideDeepModel.create(sizes, config, { seed: 1, threads: 2 });
    try {
      expect(trained.sparseWorkers).toBe(1);
      // Only what modelOfBundle reads of a bundle: the manifest's seed, the model config, sizes and weights.
      const bundle = { manifest: { seed: 1 } as Manifest, spec: {} as FittedSpec, model: config, sizes, state: trained.exportState('weights') } satisfies LoadedBundle;
      const loaded = await modelOfBundle('bundle', bundle, { threads: 2 });
      try {
        expect(loaded.sparseWorkers).toBe(0);
        const batch = {
          size: 3,
          wide: { keys: ['c0'], batchSize: 3, ids: Int32Array.from([1, 2, 3]), offsets: Int32Array.from([0, 1, 2, 3]) },
          deep: { keys: ['c0', 'c1'], batchSize: 3, ids: Int32Array.from([5, 6, 7, 8, 9, 10]), offsets: Int32Array.from([0, 1, 2, 3, 4, 5, 6]) },
          dense: new Float32Array(6),
        };
        expect((await loaded.predict(batch)).logits).toEqual((await trained.predict(batch)).logits);
      } finally {
        await loaded.release();
      }
    } finally {
      await trained.release();
    }
  }, 60_000);
});
