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
 * How `takeSparse` reads a batch it gathers from many times (the whole training set): the features whose
 * every bag holds exactly one id, and their ids copied example-major ([batchSize, numSingle]), so that one
 * example's ids sit in one cache line instead of one per feature.
 */
interface GatherLayout {
  /** Per feature: its column in `rowMajor`, or -1 when its bags vary in size. */
  readonly column: Int32Array;
  readonly numSingle: number;
  readonly rowMajor: Int32Array;
  readonly rowMajorWeights: Float32Array | undefined;
}

const gatherLayouts = new WeakMap<SparseBatch, GatherLayout>();

function gatherLayout(b: SparseBatch): GatherLayout {
  let layout = gatherLayouts.get(b);
  if (layout !== undefined) return layout;
  const B = b.batchSize;
  const column = new Int32Array(b.keys.length).fill(-1);
  let numSingle = 0;
  for (let f = 0; f < b.keys.length; f++) {
    const base = f * B;
    let single = true;
    for (let i = 0; i < B && single; i++) single = (b.offsets[base + i + 1] as number) - (b.offsets[base + i] as number) === 1;
    if (single) column[f] = numSingle++;
  }
  const rowMajor = new Int32Array(B * numSingle);
  const rowMajorWeights = b.weights ? new Float32Array(B * numSingle) : undefined;
  for (let f = 0; f < b.keys.length; f++) {
    const c = column[f] as number;
    if (c < 0) continue;
    const first = b.offsets[f * B] as number;
    for (let i = 0; i < B; i++) {
      rowMajor[i * numSingle + c] = b.ids[first + i] as number;
      if (rowMajorWeights) rowMajorWeights[i * numSingle + c] = b.weights![first + i] as number;
    }
  }
  layout = { column, numSingle, rowMajor, rowMajorWeights };
  gatherLayouts.set(b, layout);
  return layout;
}

function takeSparse(b: SparseBatch, rows: Int32Array): SparseBatch {
  const n = rows.length;
  const nf = b.keys.length;
  const B = b.batchSize;
  const src = b.offsets;
  const { column, numSingle, rowMajor, rowMajorWeights } = gatherLayout(b);
  // Where each feature's ids start in the output.
  const start = new Int32Array(nf + 1);
  for (let f = 0; f < nf; f++) {
    let count = n;
    if ((column[f] as number) < 0) {
      const base = f * B;
      count = 0;
      for (let i = 0; i < n; i++) count += (src[base + rows[i]! + 1] as number) - (src[base + rows[i]!] as number);
    }
    start[f + 1] = (start[f] as number) + count;
  }
  const total = start[nf] as number;
  const ids = new Int32Array(total);
  const weights = b.weights ? new Float32Array(total) : undefined;
  const offsets = new Int32Array(nf * n + 1);
  if (numSingle > 0) {
    const outAt = new Int32Array(numSingle);
    for (let f = 0; f < nf; f++) if ((column[f] as number) >= 0) outAt[column[f] as number] = start[f] as number;
    for (let i = 0; i < n; i++) {
      const r = rows[i]! * numSingle;
      for (let c = 0; c < numSingle; c++) {
        ids[(outAt[c] as number) + i] = rowMajor[r + c] as number;
        if (weights) weights[(outAt[c] as number) + i] = rowMajorWeights![r + c] as number;
      }
    }
  }
  for (let f = 0; f < nf; f++) {
    let at = start[f] as number;
    const o = f * n;
    if ((column[f] as number) >= 0) {
      for (let i = 0; i < n; i++) offsets[o + i + 1] = ++at;
      continue;
    }
    const base = f * B;
    for (let i = 0; i < n; i++) {
      const lo = src[base + rows[i]!] as number;
      const hi = src[base + rows[i]! + 1] as number;
      for (let j = lo; j < hi; j++) {
        ids[at] = b.ids[j] as number;
        if (weights) weights[at] = b.weights![j] as number;
        at++;
      }
      offsets[o + i + 1] = at;
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
