import { WideDeepError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { permutation } from '../data/index.js';
import type { RowChunk } from '../data/types.js';
import type { FittedSpec } from '../features/fitted-spec.js';
import { type FeatureBatch, transform } from '../features/transform.js';
import { modelBatchOf, takeModelBatch } from '../model/from-spec.js';
import type { ModelBatch } from '../model/sizes.js';
import type { TrainSource } from './trainer.js';

/**
 * In-memory rows as a TrainSource. The rows are transformed once (the transform is row by row and the spec
 * is fixed, so every epoch would compute the same ids); epoch e then takes the examples in a seeded
 * permutation that depends only on (seed, e), cut into batches. Rows left out under onBadRow: 'skip' are
 * dropped once, before the permutation.
 */
export function memorySource(spec: FittedSpec, rows: RowChunk, batchSize: number, seed: number, rowWeights: Float64Array | null = null): TrainSource {
  let all: ModelBatch | undefined;
  const encoded = (): ModelBatch => (all ??= weighted(rows, transform(spec, rows), rowWeights));
  return {
    get rows() {
      return all?.size ?? rows.numRows;
    },
    async *batches(epoch: number) {
      const batch = encoded();
      const order = permutation(batch.size, new Rng(seed).fork(`epoch-${epoch}`));
      for (let s = 0; s < batch.size; s += batchSize) yield takeModelBatch(batch, order.subarray(s, Math.min(batch.size, s + batchSize)));
    },
  };
}

/** The batch of a transform, its example weights multiplied by `rowWeights` (per row of `rows`) when given. */
function weighted(rows: RowChunk, fb: FeatureBatch, rowWeights: Float64Array | null): ModelBatch {
  const batch = modelBatchOf(fb);
  if (rowWeights === null) return batch;
  const w = keptRowWeights(rows, rowWeights, fb.rowNumbers);
  if (batch.weights) for (let i = 0; i < w.length; i++) w[i] = (w[i] as number) * (batch.weights[i] as number);
  return { ...batch, weights: w };
}

/**
 * The weights of the examples a transform kept: `rowWeights` is per row of `rows`; `kept` are the source row
 * numbers of the examples, in order (a transform keeps row order and only leaves rows out).
 */
export function keptRowWeights(rows: RowChunk, rowWeights: Float64Array, kept: Int32Array): Float32Array {
  const out = new Float32Array(kept.length);
  let i = 0;
  for (let j = 0; j < kept.length; j++) {
    while (i < rows.numRows && rows.rowNumbers[i] !== kept[j]) i++;
    if (i === rows.numRows) throw new WideDeepError('INTERNAL', `keptRowWeights: example ${j} (row ${kept[j]}) is not among the rows in order`);
    out[j] = rowWeights[i++] as number;
  }
  return out;
}
