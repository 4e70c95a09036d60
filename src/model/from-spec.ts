import { WideDeepError } from '../core/errors.js';
import type { SparseBatch } from '../core/sparse-batch.js';
import type { FeatureBatch } from '../features/transform.js';
import { specSizes } from '../features/sizes.js';
import type { FittedSpec } from '../features/fitted-spec.js';
import { recordOrigin } from './batch-origin.js';
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
 * example (the valid ids, oldest first), labels become float32. The batch's source rows are recorded
 * (`recordOrigin`) for errors about its examples.
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
  const batch: ModelBatch = {
    size: fb.batchSize,
    wide: fb.wide,
    deep,
    dense: fb.dense,
    ...(labels ? { labels } : {}),
    ...(fb.weights ? { weights: fb.weights } : {}),
  };
  recordOrigin(batch, fb.source, fb.rowNumbers);
  return batch;
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

/**
 * How `takeSparse` reads a batch it gathers from many times (the whole training set): each example's ids as
 * one record (its one-id features' ids, then per feature of varying bag size the bag's size and ids), so that
 * taking an example reads one or two cache lines instead of two per feature at random places of `offsets` and
 * `ids` (a MovieLens-shaped batch of 256: 172-177 against 228-265 us when only the one-id features had
 * records, `bench/take-batch-case.ts`).
 */
interface GatherLayout {
  /** The one-id features in record order. */
  readonly single: Int32Array;
  /** The features whose bags vary in size, in record order. */
  readonly multi: Int32Array;
  /** [batchSize + 1]: where each example's record starts in `records`. */
  readonly at: Int32Array;
  readonly records: Int32Array;
  /** The ids' weights at the same places as in `records` (a bag size's place holds 0). */
  readonly recordWeights: Float32Array | undefined;
}

const gatherLayouts = new WeakMap<SparseBatch, GatherLayout>();

/** The most places an example-record array can have with int32 positions (`GatherLayout.at`). */
const MAX_RECORDS = 0x7fffffff;

function gatherLayout(b: SparseBatch): GatherLayout {
  let layout = gatherLayouts.get(b);
  if (layout !== undefined) return layout;
  const B = b.batchSize;
  const nf = b.keys.length;
  const o = b.offsets;
  const single: number[] = [];
  const multi: number[] = [];
  for (let f = 0; f < nf; f++) {
    const base = f * B;
    let one = true;
    for (let i = 0; i < B && one; i++) one = (o[base + i + 1] as number) - (o[base + i] as number) === 1;
    (one ? single : multi).push(f);
  }
  const at = new Int32Array(B + 1);
  let total = 0;
  for (let i = 0; i < B; i++) {
    total += single.length + multi.length;
    for (const f of multi) total += (o[f * B + i + 1] as number) - (o[f * B + i] as number);
    if (total > MAX_RECORDS) {
      throw new WideDeepError('DATA', `the training set in memory holds more ids than ${MAX_RECORDS} (with one size per multi-valued bag) by example ${i}`, {
        fix: 'train from a stream (data.stream), which holds a shuffle buffer rather than the whole set',
      });
    }
    at[i + 1] = total;
  }
  const records = new Int32Array(total);
  const recordWeights = b.weights ? new Float32Array(records.length) : undefined;
  for (let i = 0; i < B; i++) {
    let p = at[i] as number;
    for (const f of single) {
      const j = o[f * B + i] as number;
      records[p] = b.ids[j] as number;
      if (recordWeights) recordWeights[p] = b.weights![j] as number;
      p++;
    }
    for (const f of multi) {
      const lo = o[f * B + i] as number;
      const hi = o[f * B + i + 1] as number;
      records[p++] = hi - lo;
      for (let j = lo; j < hi; j++, p++) {
        records[p] = b.ids[j] as number;
        if (recordWeights) recordWeights[p] = b.weights![j] as number;
      }
    }
  }
  layout = { single: Int32Array.from(single), multi: Int32Array.from(multi), at, records, recordWeights };
  gatherLayouts.set(b, layout);
  return layout;
}

function takeSparse(b: SparseBatch, rows: Int32Array): SparseBatch {
  const n = rows.length;
  const nf = b.keys.length;
  const { single, multi, at, records, recordWeights } = gatherLayout(b);
  const ns = single.length;
  const nm = multi.length;
  // How many ids each feature has among the taken examples, then where its ids start in the output.
  const count = new Int32Array(nf);
  for (let c = 0; c < ns; c++) count[single[c] as number] = n;
  for (let i = 0; i < n; i++) {
    let p = (at[rows[i] as number] as number) + ns;
    for (let k = 0; k < nm; k++) {
      const size = records[p] as number;
      const f = multi[k] as number;
      count[f] = (count[f] as number) + size;
      p += size + 1;
    }
  }
  const cursor = new Int32Array(nf);
  for (let f = 1; f < nf; f++) cursor[f] = (cursor[f - 1] as number) + (count[f - 1] as number);
  const total = nf > 0 ? (cursor[nf - 1] as number) + (count[nf - 1] as number) : 0;
  const ids = new Int32Array(total);
  const weights = recordWeights ? new Float32Array(total) : undefined;
  const offsets = new Int32Array(nf * n + 1);
  for (let i = 0; i < n; i++) {
    let p = at[rows[i] as number] as number;
    for (let c = 0; c < ns; c++, p++) {
      const f = single[c] as number;
      const q = cursor[f] as number;
      ids[q] = records[p] as number;
      if (weights) weights[q] = recordWeights![p] as number;
      cursor[f] = q + 1;
      offsets[f * n + i + 1] = q + 1;
    }
    for (let k = 0; k < nm; k++) {
      const f = multi[k] as number;
      const size = records[p++] as number;
      let q = cursor[f] as number;
      for (let j = 0; j < size; j++, p++, q++) {
        ids[q] = records[p] as number;
        if (weights) weights[q] = recordWeights![p] as number;
      }
      cursor[f] = q;
      offsets[f * n + i + 1] = q;
    }
  }
  return weights ? { keys: b.keys, batchSize: n, ids, offsets, weights } : { keys: b.keys, batchSize: n, ids, offsets };
}

/**
 * The examples at `rows` of a model batch, in that order, as a batch of their own (same keys, copied arrays):
 * how a training set transformed once is reshuffled every epoch.
 */
export function takeModelBatch(b: ModelBatch, rows: Int32Array): ModelBatch {
  const n = rows.length;
  const width = b.dense && b.size > 0 ? b.dense.length / b.size : 0;
  let dense: Float32Array | undefined;
  if (b.dense) {
    dense = new Float32Array(n * width);
    const src = b.dense;
    for (let i = 0; i < n; i++) {
      const from = rows[i]! * width;
      for (let j = 0; j < width; j++) dense[i * width + j] = src[from + j] as number;
    }
  }
  const pick = (v: Float32Array): Float32Array => {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = v[rows[i]!] as number;
    return out;
  };
  return {
    size: n,
    ...(b.wide ? { wide: takeSparse(b.wide, rows) } : {}),
    ...(b.deep ? { deep: takeSparse(b.deep, rows) } : {}),
    ...(dense ? { dense } : {}),
    ...(b.labels ? { labels: pick(b.labels) } : {}),
    ...(b.weights ? { weights: pick(b.weights) } : {}),
  };
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

/** The examples of `parts`, in order, as one batch (same keys; arrays copied). */
export function concatModelBatches(parts: readonly ModelBatch[]): ModelBatch {
  const size = parts.reduce((n, p) => n + p.size, 0);
  const cat = (pick: (p: ModelBatch) => Float32Array | undefined, width: number): Float32Array | undefined => {
    if (parts.every((p) => pick(p) === undefined)) return undefined;
    const out = new Float32Array(size * width).fill(1);
    let at = 0;
    for (const p of parts) {
      const v = pick(p);
      if (v !== undefined) out.set(v, at * width);
      at += p.size;
    }
    return out;
  };
  const first = parts.find((p) => p.dense !== undefined && p.size > 0);
  const width = first?.dense ? first.dense.length / first.size : 0;
  const dense = cat((p) => p.dense, width);
  const labels = cat((p) => p.labels, 1);
  const weights = cat((p) => p.weights, 1);
  const sparse = (pick: (p: ModelBatch) => SparseBatch | undefined): SparseBatch | undefined => {
    const all = parts.map(pick);
    return all.every((x): x is SparseBatch => x !== undefined) ? concatSparse(all) : undefined;
  };
  const wide = sparse((p) => p.wide);
  const deep = sparse((p) => p.deep);
  return { size, ...(wide ? { wide } : {}), ...(deep ? { deep } : {}), ...(dense ? { dense } : {}), ...(labels ? { labels } : {}), ...(weights ? { weights } : {}) };
}

/** Feature-major concatenation: per feature, the bags of every part in turn. */
function concatSparse(parts: readonly SparseBatch[]): SparseBatch {
  const keys = (parts[0] as SparseBatch).keys;
  const nf = keys.length;
  const n = parts.reduce((s, p) => s + p.batchSize, 0);
  const ids = new Int32Array(parts.reduce((s, p) => s + p.ids.length, 0));
  const weights = parts.some((p) => p.weights) ? new Float32Array(ids.length).fill(1) : undefined;
  const offsets = new Int32Array(nf * n + 1);
  let at = 0;
  let o = 0;
  for (let f = 0; f < nf; f++) {
    for (const s of parts) {
      const m = s.batchSize;
      const lo = s.offsets[f * m] as number;
      const hi = s.offsets[f * m + m] as number;
      ids.set(s.ids.subarray(lo, hi), at);
      if (weights && s.weights) weights.set(s.weights.subarray(lo, hi), at);
      for (let i = 1; i <= m; i++) offsets[++o] = at + (s.offsets[f * m + i] as number) - lo;
      at += hi - lo;
    }
  }
  return weights ? { keys, batchSize: n, ids, offsets, weights } : { keys, batchSize: n, ids, offsets };
}
