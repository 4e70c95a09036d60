import type { SparseBatch } from '../core/sparse-batch.js';
import type { Value } from '../graph/builder.js';
import type { ExecTensor } from '../runtime/index.js';
import type { WideDeepModel } from '../model/wide-deep.js';
import type { ModelBatch } from '../model/sizes.js';
import { WideDeepError } from '../core/errors.js';
import { Graph } from '../graph/builder.js';
import { encodeModel } from '../graph/encode.js';
import { predictionOf } from '../graph/losses.js';
import * as op from '../graph/ops.js';
import { ParamScope } from '../graph/params.js';
import { makeForward } from '../model/forward.js';
import { LOSS } from '../model/wide-deep.js';

/**
 * A model as one self-contained ONNX graph: the wide weights and the embedding tables are initializers, and
 * the graph does what WideDeepModel does in TypeScript before its dense graph runs (the wide logit, the pooled
 * embeddings, the sequences), then the dense part with its trained weights baked in. Any ONNX Runtime (C++,
 * Python, Java, the browser) scores a batch from the ids the feature spec's transform produces.
 *
 * Bags (a feature's ids for one example, any number of them) come padded: per bag input, ids [N, L] (int64)
 * and weights [N, L] (float32; 0 on padding). The graph takes sum_i weights[n, i] * row(ids[n, i]) per bag,
 * so a sum-pooled bag passes its ids' weights (1 unless the batch has per-id weights), a mean-pooled one
 * those divided by their sum, and padding any id with weight 0. `onnxFeeds` builds every input from a
 * ModelBatch, and OnnxLayout (saved next to the graph) names them.
 */
export interface OnnxLayout {
  readonly format: 'widedeep-onnx';
  readonly formatVersion: 1;
  readonly objective: string;
  readonly outputs: number;
  /** All wide features in one bag per example: ids offset by their feature's first row (`offset`). */
  readonly wide: { readonly ids: string; readonly weights: string; readonly features: readonly { readonly key: string; readonly offset: number; readonly size: number }[] } | null;
  /** One bag per pooled embedding, in the order of the embedding block. */
  readonly pooled: readonly { readonly key: string; readonly ids: string; readonly weights: string; readonly pooling: 'sum' | 'mean' }[];
  /** One padded sequence per GRU input: the last `length` ids of the bag, oldest first, and a 0/1 mask. */
  readonly sequences: readonly { readonly key: string; readonly ids: string; readonly mask: string; readonly length: number }[];
  /** The numeric block [N, width], or null. */
  readonly dense: { readonly input: string; readonly width: number } | null;
}

export const ONNX_OUTPUTS = ['logits', 'prediction'] as const;

/** A ParamScope whose parameters and buffers are initializers holding the model's current values. */
class FrozenScope extends ParamScope {
  constructor(
    g: Graph,
    private readonly weights: ReadonlyMap<string, Float32Array>,
  ) {
    super(g, 'float32');
  }

  override param(name: string, shape: readonly number[]): Value {
    return this.frozen(name, shape);
  }

  override buffer(name: string, shape: readonly number[]): Value {
    return this.frozen(name, shape);
  }

  private frozen(name: string, shape: readonly number[]): Value {
    const v = this.g.constant(weightsOf(this.weights, `dense.${name}`), shape, 'float32', name);
    this.values.set(name, v);
    return v;
  }
}

/** A tensor of `exportState('weights')` (already a copy of the model's). */
function weightsOf(tensors: ReadonlyMap<string, Float32Array>, name: string): Float32Array {
  const data = tensors.get(name);
  if (data === undefined) throw new WideDeepError('INTERNAL', `the model's state has no tensor ${name}`);
  return data;
}

/** The weighted sum over axis 1 of rows of `table` ([rows, dim]) at `ids` ([N, L]): [N, dim]. */
function bagSum(g: Graph, table: Value, ids: Value, weights: Value): Value {
  const rows = op.gather(g, table, ids);
  return op.reduceSum(g, op.mul(g, rows, op.unsqueeze(g, weights, 2)), [1]);
}

/** The model with its current weights as an ONNX model (bytes) and the layout of its inputs. */
export function exportOnnx(model: WideDeepModel): { bytes: Uint8Array; layout: OnnxLayout } {
  const { sizes, config } = model;
  const g = new Graph('widedeep_export');
  const given = new Map<string, Value>();
  const k = model.outputs;
  const state = model.exportState('weights');
  let wide: OnnxLayout['wide'] = null;
  if (model.wide.length > 0) {
    const first = model.wide[0]!;
    const rows = first.table.numRows;
    // Column j of the table is output j's weights; the last row is the bias.
    const w = new Float32Array(rows * k);
    model.wide.forEach((lin, j) => {
      const col = weightsOf(state.tensors, lin.table.name);
      for (let r = 0; r < rows; r++) w[r * k + j] = col[r] as number;
    });
    const bias = w.slice(first.biasRow * k, (first.biasRow + 1) * k);
    const ids = g.input('wide_ids', 'int64', ['N', 'L_wide']);
    const weights = g.input('wide_weights', 'float32', ['N', 'L_wide']);
    const table = g.constant(w, [rows, k], 'float32', 'wide.table');
    given.set('wide_logit', op.add(g, bagSum(g, table, ids, weights), g.constant(bias, [k], 'float32', 'wide.bias')));
    wide = {
      ids: 'wide_ids',
      weights: 'wide_weights',
      features: first.config.features.map((f, j) => ({ key: f.key, offset: first.offsets[j] as number, size: f.size })),
    };
  }
  const pooled: { key: string; ids: string; weights: string; pooling: 'sum' | 'mean'; col: number; value: Value }[] = [];
  const sequences: OnnxLayout['sequences'][number][] = [];
  for (const e of model.embedded) {
    const table = g.constant(weightsOf(state.tensors, e.table.name), [e.table.numRows, e.table.dim], 'float32', `emb.${e.key}.table`);
    if (e.slot) {
      const ids = g.input(`ids_${e.key}`, 'int64', ['N', `L_${e.key}`]);
      const weights = g.input(`weights_${e.key}`, 'float32', ['N', `L_${e.key}`]);
      pooled.push({ key: e.key, ids: ids.name, weights: weights.name, pooling: e.slot.pooling, col: e.slot.col, value: bagSum(g, table, ids, weights) });
    } else {
      const ids = g.input(`seq_ids_${e.key}`, 'int64', ['N', e.length]);
      const mask = g.input(`mask_${e.key}`, 'float32', ['N', e.length]);
      given.set(`seq_${e.key}`, op.mul(g, op.gather(g, table, ids), op.unsqueeze(g, mask, 2)));
      given.set(`mask_${e.key}`, mask);
      sequences.push({ key: e.key, ids: ids.name, mask: mask.name, length: e.length });
    }
  }
  pooled.sort((a, b) => a.col - b.col);
  if (pooled.length > 0) given.set('emb', pooled.length === 1 ? (pooled[0]!.value as Value) : op.concat(g, pooled.map((p) => p.value), 1));
  const dense = sizes.denseWidth > 0 && config.kind !== 'wide' ? { input: 'num', width: sizes.denseWidth } : null;
  const forward = makeForward(sizes, config, () => undefined);
  const logits = forward(new FrozenScope(g, state.tensors), false, given);
  g.output(logits, 'logits');
  g.output(predictionOf(g, LOSS[sizes.objective], logits), 'prediction');
  const layout: OnnxLayout = {
    format: 'widedeep-onnx',
    formatVersion: 1,
    objective: sizes.objective,
    outputs: k,
    wide,
    pooled: pooled.map(({ key, ids, weights, pooling }) => ({ key, ids, weights, pooling })),
    sequences,
    dense,
  };
  return { bytes: encodeModel(g, 'widedeep model (wide & deep, weights as initializers)'), layout };
}

/** Padded bags [N, L] of one feature of a SparseBatch: ids and per-position weights (0 on padding). */
function padBags(batch: SparseBatch, key: string, transformId: (id: number) => number, mean: boolean): { ids: BigInt64Array; weights: Float32Array; len: number } {
  const f = batch.keys.indexOf(key);
  if (f < 0) throw new WideDeepError('BATCH', `the batch has no feature ${key}`, { field: key });
  const n = batch.batchSize;
  const { ids, offsets } = batch;
  let len = 1;
  for (let b = 0; b < n; b++) len = Math.max(len, (offsets[f * n + b + 1] as number) - (offsets[f * n + b] as number));
  const outIds = new BigInt64Array(n * len);
  const outW = new Float32Array(n * len);
  for (let b = 0; b < n; b++) {
    const lo = offsets[f * n + b] as number;
    const hi = offsets[f * n + b + 1] as number;
    let sum = 0;
    for (let i = lo; i < hi; i++) sum += batch.weights === undefined ? 1 : (batch.weights[i] as number);
    for (let i = lo; i < hi; i++) {
      const w = batch.weights === undefined ? 1 : (batch.weights[i] as number);
      outIds[b * len + i - lo] = BigInt(transformId(ids[i] as number));
      outW[b * len + i - lo] = mean ? (sum === 0 ? 0 : w / sum) : w;
    }
  }
  return { ids: outIds, weights: outW, len };
}

/** The inputs of an exported graph for one batch (as `WideDeepModel.predict` would read it). */
export function onnxFeeds(layout: OnnxLayout, batch: ModelBatch): Record<string, ExecTensor> {
  const n = batch.size;
  const feeds: Record<string, ExecTensor> = {};
  if (layout.wide !== null) {
    const wb = batch.wide;
    if (wb === undefined) throw new WideDeepError('BATCH', 'the batch has no wide features', { field: 'wide' });
    // One bag per example over every wide feature, ids offset into the one table.
    const parts = layout.wide.features.map((f) => padBags(wb, f.key, (id) => f.offset + id, false));
    const len = parts.reduce((a, p) => a + p.len, 0);
    const ids = new BigInt64Array(n * len);
    const weights = new Float32Array(n * len);
    let at = 0;
    for (const p of parts) {
      for (let b = 0; b < n; b++) {
        ids.set(p.ids.subarray(b * p.len, (b + 1) * p.len), b * len + at);
        weights.set(p.weights.subarray(b * p.len, (b + 1) * p.len), b * len + at);
      }
      at += p.len;
    }
    feeds[layout.wide.ids] = { type: 'int64', data: ids, dims: [n, len] };
    feeds[layout.wide.weights] = { type: 'float32', data: weights, dims: [n, len] };
  }
  for (const p of layout.pooled) {
    const bags = padBags(requireDeep(batch), p.key, (id) => id, p.pooling === 'mean');
    feeds[p.ids] = { type: 'int64', data: bags.ids, dims: [n, bags.len] };
    feeds[p.weights] = { type: 'float32', data: bags.weights, dims: [n, bags.len] };
  }
  for (const s of layout.sequences) {
    const d = requireDeep(batch);
    const f = d.keys.indexOf(s.key);
    const ids = new BigInt64Array(n * s.length);
    const mask = new Float32Array(n * s.length);
    for (let b = 0; b < n; b++) {
      const hi = d.offsets[f * n + b + 1] as number;
      const start = Math.max(d.offsets[f * n + b] as number, hi - s.length);
      for (let i = start; i < hi; i++) {
        ids[b * s.length + i - start] = BigInt(d.ids[i] as number);
        mask[b * s.length + i - start] = 1;
      }
    }
    feeds[s.ids] = { type: 'int64', data: ids, dims: [n, s.length] };
    feeds[s.mask] = { type: 'float32', data: mask, dims: [n, s.length] };
  }
  if (layout.dense !== null) {
    if (batch.dense === undefined || batch.dense.length !== n * layout.dense.width) {
      throw new WideDeepError('BATCH', `the dense block must be [${n}, ${layout.dense.width}]`, { field: 'dense' });
    }
    feeds[layout.dense.input] = { type: 'float32', data: batch.dense, dims: [n, layout.dense.width] };
  }
  return feeds;
}

function requireDeep(batch: ModelBatch): SparseBatch {
  if (batch.deep === undefined) throw new WideDeepError('BATCH', 'the batch has no deep features', { field: 'deep' });
  return batch.deep;
}
