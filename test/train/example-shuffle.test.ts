import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { shuffleBuffer, type RowChunk } from '../../src/data/index.js';
import { fit, rowsToChunk, transform, type FeatureConfig, type FittedSpec } from '../../src/features/index.js';
import { modelBatchOf } from '../../src/model/from-spec.js';
import type { ModelBatch } from '../../src/model/sizes.js';
import { fixedWidthSpec, shuffleExamples } from '../../src/train/example-shuffle.js';
import { exactBatches } from '../../src/train/stream-source.js';

const CONFIG: FeatureConfig = {
  columns: [
    { type: 'categorical', name: 'city', vocabulary: { minCount: 1 } },
    { type: 'categorical', name: 'dev', hashBuckets: 7 },
    { type: 'crossed', name: 'city_dev', components: ['city', 'dev'], hashBuckets: 50 },
    { type: 'categorical', name: 'uid', identity: { numBuckets: 9 }, feeds: ['deep'], embeddingDim: 4 },
    { type: 'numeric', name: 'x', normalize: 'standardize' },
    { type: 'numeric', name: 'z', log1p: true, clip: { min: 0, max: 100 } },
  ],
  label: { kind: 'binary', column: 'y' },
};

/** Chunks of varied sizes with distinct rows (x is the row's index, so every example can be told apart). */
function chunks(sizes: readonly number[]): RowChunk[] {
  const rng = new Rng(3);
  let k = 0;
  return sizes.map((n) =>
    rowsToChunk(
      Array.from({ length: n }, () => {
        k += 1;
        return { city: ['paris', 'rome', 'oslo', null][rng.int(4)], dev: ['ios', 'web'][rng.int(2)], uid: rng.int(9), x: k, z: rng.uniform() * 50, y: rng.int(2) };
      }),
    ),
  );
}

async function* encoded(spec: FittedSpec, rows: AsyncIterable<RowChunk> | Iterable<RowChunk>): AsyncGenerator<ModelBatch, void, undefined> {
  for await (const c of rows) yield modelBatchOf(transform(spec, c));
}

async function all(batches: AsyncIterable<ModelBatch>): Promise<ModelBatch[]> {
  const out: ModelBatch[] = [];
  for await (const b of batches) out.push(b);
  return out;
}

describe('shuffleExamples', () => {
  it('gives the examples in the order of shuffling the rows first (shuffleBuffer), then transforming them', async () => {
    const input = chunks([6, 1, 9, 4, 12, 3]);
    const spec = await fit(CONFIG, input);
    expect(fixedWidthSpec(spec)).toBe(true);
    for (const [bufferSize, chunkSize, batchSize] of [[7, 5, 4], [1, 3, 8], [1000, 8, 5], [35, 35, 35], [13, 2, 3]] as const) {
      const seed = 11 + bufferSize;
      const rowsFirst = await all(exactBatches(encoded(spec, shuffleBuffer(input, { bufferSize, seed, chunkSize })), batchSize));
      const examples = await all(exactBatches(shuffleExamples(encoded(spec, input), { bufferSize, seed, chunkSize }), batchSize));
      expect(examples).toEqual(rowsFirst);
      expect(examples.reduce((n, b) => n + b.size, 0)).toBe(35);
    }
  });

  it('really shuffles: every example once, not in input order, another order for another seed', async () => {
    const input = chunks([20, 20, 20]);
    const spec = await fit(CONFIG, input);
    const order = async (seed: number): Promise<number[]> => {
      const out = await all(shuffleExamples(encoded(spec, input), { bufferSize: 16, seed, chunkSize: 7 }));
      const xAt = (b: ModelBatch, i: number): number => (b.dense as Float32Array)[i * 2]!;
      return out.flatMap((b) => Array.from({ length: b.size }, (_, i) => xAt(b, i)));
    };
    const a = await order(1);
    const b = await order(2);
    expect([...a].sort((p, q) => p - q)).toEqual([...(await order(0))].sort((p, q) => p - q));
    expect(new Set(a).size).toBe(60);
    expect(a).not.toEqual([...a].sort((p, q) => p - q));
    expect(a).not.toEqual(b);
  });

  it('keeps the wide and deep parts shared when transform shares them, and separate when it does not', async () => {
    const shared: FeatureConfig = { columns: [{ type: 'categorical', name: 'city', vocabulary: { minCount: 1 } }, { type: 'numeric', name: 'x' }], label: { kind: 'binary', column: 'y' } };
    const input = chunks([5, 5]);
    for (const config of [shared, CONFIG]) {
      const spec = await fit(config, input);
      const first = transform(spec, input[0] as RowChunk);
      const [b] = await all(shuffleExamples(encoded(spec, input), { bufferSize: 3, seed: 1, chunkSize: 4 }));
      expect(b?.deep === b?.wide).toBe(first.deep === first.wide);
    }
  });

  it('refuses a batch whose layout differs from the first one', async () => {
    const input = chunks([4, 4]);
    const spec = await fit(CONFIG, input);
    const other = await fit({ ...CONFIG, columns: CONFIG.columns.filter((c) => c.name !== 'z') }, input);
    const mixed = [modelBatchOf(transform(spec, input[0] as RowChunk)), modelBatchOf(transform(other, input[1] as RowChunk))];
    await expect(all(shuffleExamples(mixed, { bufferSize: 2, seed: 1, chunkSize: 2 }))).rejects.toThrow(/layout of the first/);
  });

  it('takes only fixed-width specs: multi-valued columns and crosses over them are not', async () => {
    const rows = [rowsToChunk([{ tags: ['a', 'b'], city: 'x', y: 1 }])];
    const multi = await fit({ columns: [{ type: 'multi-valued', name: 'tags' }], label: { kind: 'binary', column: 'y' } }, rows);
    expect(fixedWidthSpec(multi)).toBe(false);
    const crossed = await fit(
      { columns: [{ type: 'multi-valued', name: 'tags', feeds: [] }, { type: 'categorical', name: 'city' }, { type: 'crossed', name: 'tc', components: ['tags', 'city'], hashBuckets: 10 }], label: { kind: 'binary', column: 'y' } },
      rows,
    );
    expect(fixedWidthSpec(crossed)).toBe(false);
    await expect(all(shuffleExamples(encoded(multi, rows), { bufferSize: 2, seed: 1, chunkSize: 2 }))).rejects.toThrow(/one id per key and row/);
  });
});
