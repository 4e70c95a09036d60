import type { ModelBatch } from './sizes.js';

/**
 * Where the examples of a model batch came from (its source and 1-based source rows), so that an error about
 * an example can name its row. Kept beside the batch rather than in it: batches stay plain data that slices,
 * gathers and comparisons treat alike. Only `modelBatchOf` records origins; a batch cut or gathered from
 * another has none, and errors then name the example's place in the batch.
 */
const origins = new WeakMap<ModelBatch, { readonly source: string; readonly rowNumbers: Int32Array }>();

export function recordOrigin(batch: ModelBatch, source: string, rowNumbers: Int32Array): void {
  origins.set(batch, { source, rowNumbers });
}

/** The source and row of example `i` of `batch`, when known. */
export function originOf(batch: ModelBatch, i: number): { file?: string; row?: number } {
  const o = origins.get(batch);
  const row = o?.rowNumbers[i];
  return o !== undefined && row !== undefined ? { file: o.source, row } : {};
}
