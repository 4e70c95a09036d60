import { WideDeepError } from '../core/index.js';
import type { SparseBatch } from '../core/index.js';

export type Pooling = 'sum' | 'mean';

/**
 * Where one pooled feature sits in a dense block `[batchSize, width]` shared by several features side by
 * side: its embedding of `dim` columns starts at column `col`. The same slot drives the gather (forward)
 * and the gradient scatter (backward).
 *
 * ```
 * block row b:  | feature A (col 0, dim 8) | feature B (col 8, dim 8) | feature C (col 16, dim 4) |   width 20
 * ```
 *
 * `mean` divides by the sum of the bag's weights (the bag length without `batch.weights`), as TensorFlow's
 * "mean" combiner does; an empty bag (or one whose weights sum to 0) pools to zeros.
 */
export interface PooledSlot {
  /** Index of the feature in `batch.keys` (see `featureIndex`). */
  readonly feature: number;
  readonly pooling: Pooling;
  /** Floats per row of the dense block. */
  readonly width: number;
  /** First column of this feature in the block. */
  readonly col: number;
}

/**
 * A non-pooled sequence feature gathered to `[batchSize, maxLen, dim]`: position p of example b holds the
 * embedding of the bag's p-th id, right-padded with zero vectors (not row 0). A bag longer than `maxLen`
 * keeps its last `maxLen` ids (the most recent, for chronological histories). `batch.weights` is ignored.
 */
export interface SequenceSlot {
  readonly feature: number;
  readonly maxLen: number;
}

/** Index of `key` in `batch.keys`, or a BATCH error naming the key and the keys the batch has. */
export function featureIndex(batch: SparseBatch, key: string): number {
  const f = batch.keys.indexOf(key);
  if (f < 0) {
    throw new WideDeepError('BATCH', `feature ${key} is not in the batch (keys: ${batch.keys.join(', ')})`, {
      field: key,
      fix: 'build the batch with the same fitted feature spec as the model',
    });
  }
  return f;
}

/** Checks a pooled slot against its table, batch and block buffer once per call. */
export function checkPooledSlot(dim: number, batch: SparseBatch, slot: PooledSlot, blockLength: number, what: string): void {
  checkFeature(batch, slot.feature);
  const { width, col } = slot;
  if (!Number.isInteger(col) || col < 0 || !Number.isInteger(width) || col + dim > width) {
    throw new WideDeepError('SHAPE', `slot of feature ${batch.keys[slot.feature]}: columns [${col}, ${col + dim}) do not fit a block of width ${width}`, {
      field: 'slot.col',
      fix: 'lay features side by side: col + dim <= width',
    });
  }
  if (blockLength < batch.batchSize * width) {
    throw new WideDeepError('SHAPE', `${what} holds ${blockLength} floats, needs batchSize * width = ${batch.batchSize * width}`, {
      field: what,
      fix: 'allocate the block as [batchSize, width]',
    });
  }
  if (slot.pooling !== 'sum' && slot.pooling !== 'mean') {
    throw new WideDeepError('CONFIG', `pooling must be "sum" or "mean", got ${String(slot.pooling)}`, { field: 'slot.pooling' });
  }
}

/** Checks a sequence slot against its table, batch and output buffer once per call. */
export function checkSequenceSlot(dim: number, batch: SparseBatch, slot: SequenceSlot, length: number, what: string): void {
  checkFeature(batch, slot.feature);
  if (!Number.isInteger(slot.maxLen) || slot.maxLen < 1) {
    throw new WideDeepError('CONFIG', `maxLen must be an integer >= 1, got ${slot.maxLen}`, { field: 'slot.maxLen' });
  }
  const need = batch.batchSize * slot.maxLen * dim;
  if (length < need) {
    throw new WideDeepError('SHAPE', `${what} holds ${length} floats, needs batchSize * maxLen * dim = ${need}`, {
      field: what,
      fix: 'allocate it as [batchSize, maxLen, dim]',
    });
  }
}

/** The error for an id outside its table, thrown from the hot loops. */
/** Every bag of the feature whose bags start at offsets[f0] (n of them) holds exactly one id. */
export function oneIdBags(offsets: Int32Array, f0: number, n: number): boolean {
  for (let b = 0; b < n; b++) if ((offsets[f0 + b + 1] as number) - (offsets[f0 + b] as number) !== 1) return false;
  return true;
}

export function idOutOfRange(batch: SparseBatch, feature: number, id: number, numRows: number, table: string): WideDeepError {
  return new WideDeepError('BATCH', `id ${id} of feature ${batch.keys[feature]} is outside table ${table}'s [0, ${numRows})`, {
    field: batch.keys[feature] ?? `feature ${feature}`,
    fix: 'size the table from the fitted feature spec (vocabulary or hash size) and map unknown values to 0',
  });
}

function checkFeature(batch: SparseBatch, f: number): void {
  if (!Number.isInteger(f) || f < 0 || f >= batch.keys.length) {
    throw new WideDeepError('BATCH', `feature index ${f} is outside [0, ${batch.keys.length}) for keys ${batch.keys.join(', ')}`, {
      field: 'slot.feature',
      fix: 'use featureIndex(batch, key)',
    });
  }
}
