import type { SparseBatch } from '../core/sparse-batch.js';

export type Objective = 'binary' | 'regression' | 'multiclass';

/**
 * Everything the model needs to know about its inputs, derived from the fitted feature spec and never typed
 * by hand: the wide features and their id counts, the embedded features with table size, dimension and
 * pooling, the sequence features, and the width of the numeric block.
 */
export interface ModelSizes {
  readonly objective: Objective;
  /** Number of classes (multiclass only; 1 output otherwise). */
  readonly numClasses?: number;
  readonly wide: readonly { readonly key: string; readonly size: number }[];
  readonly embeddings: readonly { readonly key: string; readonly size: number; readonly dim: number; readonly pooling: 'sum' | 'mean' }[];
  readonly sequences: readonly { readonly key: string; readonly size: number; readonly dim: number; readonly length: number }[];
  readonly denseWidth: number;
}

/**
 * One batch as the model consumes it. `wide` holds the wide features' ids (keys of `sizes.wide`); `deep`
 * holds the embedded and sequence features' ids (keys of `sizes.embeddings` and `sizes.sequences`; a
 * sequence is one bag per example, oldest first); `dense` is [N, denseWidth]. Labels are 0/1 (binary), the
 * target (regression) or the class index (multiclass).
 */
export interface ModelBatch {
  readonly size: number;
  readonly wide?: SparseBatch;
  readonly deep?: SparseBatch;
  readonly dense?: Float32Array;
  readonly labels?: Float32Array;
  readonly weights?: Float32Array;
}

/** Number of logits per example. */
export function outputsOf(sizes: ModelSizes): number {
  return sizes.objective === 'multiclass' ? (sizes.numClasses ?? 2) : 1;
}

/** Width of the pooled-embedding block the deep part reads: the embedded features' dims end to end. */
export function embWidth(sizes: ModelSizes): number {
  return sizes.embeddings.reduce((a, e) => a + e.dim, 0);
}
