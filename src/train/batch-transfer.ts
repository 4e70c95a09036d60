import type { SparseBatch } from '../core/sparse-batch.js';
import { buffersOf, ownArray, type PackedItem } from '../data/worker-stream.js';
import { originOf, recordOrigin } from '../model/batch-origin.js';
import type { ModelBatch } from '../model/sizes.js';

/**
 * ModelBatches as messages from a stream worker. A batch is plain data (typed arrays, key lists), so it
 * travels as itself: structured cloning keeps `deep === wide` when the transform laid the sparse columns out
 * once, and the typed arrays go by transfer (no copy). The source rows a batch was transformed from
 * (`recordOrigin`, kept beside the batch) travel with it and are recorded again on arrival, so an error about
 * an example names its row as it would have in this thread.
 */
export interface PackedBatch {
  readonly batch: ModelBatch;
  readonly origin: { readonly source: string; readonly rowNumbers: Int32Array } | null;
}

/** A batch as a message and the buffers to transfer with it; the batch's arrays are given up (or copied when they are views). */
export function packBatch(b: ModelBatch): PackedItem<PackedBatch> {
  const sparse = new Map<SparseBatch, SparseBatch>();
  const own = (s: SparseBatch | undefined): SparseBatch | undefined => {
    if (s === undefined) return undefined;
    let o = sparse.get(s);
    if (o === undefined) {
      o = { keys: s.keys, batchSize: s.batchSize, ids: ownArray(s.ids), offsets: ownArray(s.offsets), ...(s.weights ? { weights: ownArray(s.weights) } : {}) };
      sparse.set(s, o);
    }
    return o;
  };
  const wide = own(b.wide);
  const deep = own(b.deep);
  const batch: ModelBatch = {
    size: b.size,
    ...(wide ? { wide } : {}),
    ...(deep ? { deep } : {}),
    ...(b.dense ? { dense: ownArray(b.dense) } : {}),
    ...(b.labels ? { labels: ownArray(b.labels) } : {}),
    ...(b.weights ? { weights: ownArray(b.weights) } : {}),
  };
  const origin = originRows(b);
  const arrays = [...sparse.values()].flatMap((s) => [s.ids, s.offsets, s.weights]);
  return { item: { batch, origin }, transfer: buffersOf([...arrays, batch.dense, batch.labels, batch.weights, origin?.rowNumbers]) };
}

/** The batch of a message, its origin recorded again. */
export function unpackBatch(p: PackedBatch): ModelBatch {
  if (p.origin !== null) recordOrigin(p.batch, p.origin.source, p.origin.rowNumbers);
  return p.batch;
}

/** The source rows `b` was transformed from, when they are recorded. */
function originRows(b: ModelBatch): PackedBatch['origin'] {
  const first = originOf(b, 0);
  if (first.file === undefined || first.row === undefined) return null;
  const rowNumbers = new Int32Array(b.size);
  for (let i = 0; i < b.size; i++) rowNumbers[i] = originOf(b, i).row as number;
  return { source: first.file, rowNumbers };
}
