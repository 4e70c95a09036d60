import { WideDeepError } from '../core/errors.js';
import type { SparseBatch } from '../core/sparse-batch.js';
import type { FeatureBatch } from '../features/transform.js';
import { specSizes } from '../features/sizes.js';
import type { FittedSpec } from '../features/fitted-spec.js';
import type { ModelBatch, ModelSizes } from './sizes.js';

/** The model's sizes, derived from a fitted feature spec (never typed by hand). */
export function modelSizesOf(spec: FittedSpec): ModelSizes {
  const s = specSizes(spec);
  if (!s.label) {
    throw new WideDeepError('CONFIG', 'the feature spec has no label, so no objective', { field: 'label', fix: 'declare label: {kind: binary|regression|multiclass, column: ...}' });
  }
  return {
    objective: s.label.kind,
    ...(s.label.kind === 'multiclass' ? { numClasses: s.label.outputDim } : {}),
    wide: s.wide.keys.map((key) => ({ key, size: s.wide.sizes[key] as number })),
    embeddings: s.embeddings.map((e) => ({ key: e.key, size: e.tableSize, dim: e.dim, pooling: e.pooling })),
    sequences: s.sequences.map((q) => ({ key: q.key, size: q.tableSize, dim: q.dim, length: q.length })),
    denseWidth: s.dense.width,
  };
}

/**
 * A transformed FeatureBatch as the model reads it: sequences join the deep SparseBatch as one bag per
 * example (the valid ids, oldest first), labels become float32.
 */
export function modelBatchOf(fb: FeatureBatch): ModelBatch {
  const seqKeys = Object.keys(fb.sequences);
  let deep: SparseBatch = fb.deep;
  if (seqKeys.length > 0) {
    const n = fb.batchSize;
    const base = fb.deep;
    let extra = 0;
    for (const k of seqKeys) for (const len of (fb.sequences[k] as { lengths: Int32Array }).lengths) extra += len;
    const ids = new Int32Array(base.ids.length + extra);
    ids.set(base.ids);
    const offsets = new Int32Array((base.keys.length + seqKeys.length) * n + 1);
    offsets.set(base.offsets);
    let at = base.ids.length;
    let o = base.keys.length * n;
    for (const k of seqKeys) {
      const s = fb.sequences[k] as { length: number; ids: Int32Array; lengths: Int32Array };
      for (let b = 0; b < n; b++) {
        const len = s.lengths[b] as number;
        ids.set(s.ids.subarray(b * s.length, b * s.length + len), at);
        at += len;
        offsets[++o] = at;
      }
    }
    deep = { keys: [...base.keys, ...seqKeys], batchSize: n, ids, offsets };
  }
  const labels = fb.labels === undefined ? undefined : fb.labels instanceof Float32Array ? fb.labels : Float32Array.from(fb.labels);
  return {
    size: fb.batchSize,
    wide: fb.wide,
    deep,
    dense: fb.dense,
    ...(labels ? { labels } : {}),
    ...(fb.weights ? { weights: fb.weights } : {}),
  };
}

function sliceSparse(b: SparseBatch, start: number, end: number): SparseBatch {
  const n = end - start;
  const nf = b.keys.length;
  const offsets = new Int32Array(nf * n + 1);
  let total = 0;
  for (let f = 0; f < nf; f++) total += (b.offsets[f * b.batchSize + end] as number) - (b.offsets[f * b.batchSize + start] as number);
  const ids = new Int32Array(total);
  const weights = b.weights ? new Float32Array(total) : undefined;
  let at = 0;
  let k = 0;
  for (let f = 0; f < nf; f++) {
    const lo = b.offsets[f * b.batchSize + start] as number;
    const hi = b.offsets[f * b.batchSize + end] as number;
    ids.set(b.ids.subarray(lo, hi), at);
    if (weights && b.weights) weights.set(b.weights.subarray(lo, hi), at);
    for (let i = 0; i < n; i++) offsets[++k] = at + (b.offsets[f * b.batchSize + start + i + 1] as number) - lo;
    at += hi - lo;
  }
  return weights ? { keys: b.keys, batchSize: n, ids, offsets, weights } : { keys: b.keys, batchSize: n, ids, offsets };
}

/** Rows [start, end) of a model batch, as a batch of their own (same keys, copied arrays). */
export function sliceModelBatch(b: ModelBatch, start: number, end: number): ModelBatch {
  const n = end - start;
  const width = b.dense && b.size > 0 ? b.dense.length / b.size : 0;
  return {
    size: n,
    ...(b.wide ? { wide: sliceSparse(b.wide, start, end) } : {}),
    ...(b.deep ? { deep: sliceSparse(b.deep, start, end) } : {}),
    ...(b.dense ? { dense: b.dense.slice(start * width, end * width) } : {}),
    ...(b.labels ? { labels: b.labels.slice(start, end) } : {}),
    ...(b.weights ? { weights: b.weights.slice(start, end) } : {}),
  };
}
