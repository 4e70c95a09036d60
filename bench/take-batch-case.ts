/**
 * The cost of cutting a shuffled training batch out of the training set in memory (`takeModelBatch`, what
 * every epoch of an in-memory fit does per batch) against cutting the same number of contiguous examples
 * (`sliceModelBatch`: sequential reads, the floor). The set is MovieLens-shaped and synthetic: 80,000
 * examples, a wide part of 7 one-id features and 5 multi-valued ones (1-6 ids: genres and its crosses), a deep
 * part of 7 one-id features and 1 multi-valued, batches of 256. One JSON line: microseconds of CPU per batch,
 * median of 10 epochs (one seeded permutation each).
 *
 *   npx tsx bench/take-batch-case.ts [--examples 80000] [--batch 256]
 */
import { parseArgs } from 'node:util';
import type { SparseBatch } from '../src/core/sparse-batch.js';
import { Rng } from '../src/core/rng.js';
import { permutation } from '../src/data/shuffle.js';
import { sliceModelBatch, takeModelBatch } from '../src/model/from-spec.js';
import type { ModelBatch } from '../src/model/sizes.js';

const { values } = parseArgs({ options: { examples: { type: 'string', default: '80000' }, batch: { type: 'string', default: '256' } } });
const B = Number(values.examples);
const batch = Number(values.batch);
const rng = new Rng(3);

function sparse(singles: number, multis: number): SparseBatch {
  const keys = Array.from({ length: singles + multis }, (_, f) => `f${f}`);
  const offsets = new Int32Array(keys.length * B + 1);
  const ids: number[] = [];
  for (let f = 0; f < keys.length; f++) {
    for (let i = 0; i < B; i++) {
      const size = f < singles ? 1 : 1 + rng.int(6);
      for (let j = 0; j < size; j++) ids.push(rng.int(20_000));
      offsets[f * B + i + 1] = ids.length;
    }
  }
  return { keys, batchSize: B, ids: Int32Array.from(ids), offsets };
}

const set: ModelBatch = { size: B, wide: sparse(7, 5), deep: sparse(7, 1), labels: new Float32Array(B) };
const cpuUs = (f: () => void): number => {
  const c0 = process.cpuUsage();
  f();
  const c = process.cpuUsage(c0);
  return c.user + c.system;
};
const take: number[] = [];
const slice: number[] = [];
const n = Math.ceil(B / batch);
for (let epoch = 0; epoch < 11; epoch++) {
  const order = permutation(B, new Rng(7).fork(`epoch-${epoch}`));
  const t = cpuUs(() => {
    for (let s = 0; s < B; s += batch) takeModelBatch(set, order.subarray(s, Math.min(B, s + batch)));
  });
  const u = cpuUs(() => {
    for (let s = 0; s < B; s += batch) sliceModelBatch(set, s, Math.min(B, s + batch));
  });
  // The first epoch builds the set's example records (once per set); it is left out.
  if (epoch > 0) {
    take.push(t / n);
    slice.push(u / n);
  }
}
const median = (v: number[]): number => [...v].sort((a, b) => a - b)[v.length >> 1] as number;
console.log(JSON.stringify({ case: 'take_batch', examples: B, batch, take_us_per_batch: median(take), slice_us_per_batch: median(slice) }));
