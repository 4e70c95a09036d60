import { WideDeepError } from '../core/index.js';
import type { SparseBatch } from '../core/index.js';
import { checkKeys, expectObject, readInt, readString } from './config-check.js';
import type { RowOptimizerConfig, RowOptimizerConfigInput } from './row-optimizer.js';
import { parseRowOptimizerConfig } from './row-optimizer.js';
import { RowGradients } from './row-gradients.js';
import { bagOfScalars } from './gather.js';
import { PREFETCH_ROWS, touchRows } from './prefetch.js';
import { tableOver } from './shared-table.js';
import { badWideIdError, simdWideLogits, type WideFeatureRef } from './simd/wide-kernels.js';
import { featureIndex, idOutOfRange } from './slots.js';
import { SparseTable } from './table.js';

export interface WideFeatureConfig {
  /** Feature key in the SparseBatch (raw or crossed feature). */
  readonly key: string;
  /** Number of ids of this feature (vocabulary or hash size, id 0 = OOV), from the fitted spec. */
  readonly size: number;
}

export interface WideConfig {
  readonly features: readonly WideFeatureConfig[];
  /** Default `{ type: 'ftrl' }` with FTRL's defaults. */
  readonly optimizer?: RowOptimizerConfigInput | RowOptimizerConfig;
  /** Name of the weight table (default "wide"). */
  readonly name?: string;
}

export interface WideConfigNormalized {
  readonly features: readonly WideFeatureConfig[];
  readonly optimizer: RowOptimizerConfig;
  readonly name: string;
}

/** One term of an example's wide logit: feature `key`'s id fired with `value` (its batch weight, else 1). */
export interface WideTerm {
  readonly key: string;
  readonly id: number;
  readonly value: number;
  readonly weight: number;
  /** value * weight: this term's share of the logit. */
  readonly contribution: number;
}

export interface WideExplanation {
  readonly bias: number;
  /** In batch order: features as listed in the config, ids in bag order. */
  readonly terms: readonly WideTerm[];
  /** bias + sum of contributions (what `logits` gives, up to float32 rounding). */
  readonly logit: number;
}

/** Parses a wide config from plain data. */
export function parseWideConfig(raw: unknown, path = 'wide'): WideConfigNormalized {
  const obj = expectObject(raw, path);
  checkKeys(obj, ['features', 'optimizer', 'name'], path, 'a wide config');
  const list = obj['features'];
  if (!Array.isArray(list) || list.length === 0) {
    throw new WideDeepError('CONFIG', 'features must be a non-empty array of { key, size }', {
      field: `${path}.features`,
      fix: 'list every wide (raw or crossed) feature with its id count',
    });
  }
  const seen = new Set<string>();
  const features = list.map((raw, i): WideFeatureConfig => {
    const at = `${path}.features[${i}]`;
    const f = expectObject(raw, at);
    checkKeys(f, ['key', 'size'], at, 'a wide feature');
    const key = readString(f, 'key', at);
    if (seen.has(key)) throw new WideDeepError('CONFIG', `feature ${key} is listed twice`, { field: `${at}.key` });
    seen.add(key);
    return { key, size: readInt(f, 'size', at, 1) };
  });
  return {
    features,
    optimizer: parseRowOptimizerConfig(obj['optimizer'] ?? { type: 'ftrl' }, `${path}.optimizer`),
    name: obj['name'] === undefined ? 'wide' : readString(obj, 'name', path),
  };
}

/**
 * The wide part: a linear model over many sparse features sharing one dim-1 weight table, plus a bias.
 * Feature j owns rows [offsets[j], offsets[j] + size_j) of the table (`featureTables[j]` is a table over
 * just those rows, sharing the memory); the bias is the last row (`biasRow`), updated by the same optimizer
 * (so FTRL's l1/l2 apply to it too, as in TensorFlow's LinearClassifier). Weights start at zero.
 *
 * logit_b = bias + sum_j c_jb,   c_jb = sum_{i in bag(j, b)} value_i * w[offsets[j] + id_i]
 *
 * which is "one-hot (or multi-hot, weighted) vector . weights + bias", computed as a sum of 1-dim embeddings:
 * each c_jb is a sum-pooled gather of feature j's rows (`gatherPooled` over `featureTables[j]`, float32 as
 * it writes it), and the logit adds them to the bias in feature order as a float32 running sum (`logits`
 * on one thread; `sumWideColumns` over the columns sparse workers gathered: the same numbers bit for bit).
 */
export class WideLinear {
  readonly config: WideConfigNormalized;
  readonly table: SparseTable;
  /** First table row of every feature, in config order. */
  readonly offsets: Int32Array;
  readonly biasRow: number;
  /** Feature j's rows of `table` as a table of their own (the same memory; ids are the feature's own). */
  readonly featureTables: readonly SparseTable[];
  private readonly grads: RowGradients;
  private lastKeys: readonly string[] | undefined;
  private readonly batchFeature: Int32Array;
  private refs: WideFeatureRef[] = [];

  /** `storage` allocates the table's floats (default a plain Float32Array; `sharedStorage` for sparse workers). */
  constructor(config: WideConfig, storage?: (floats: number) => Float32Array) {
    this.config = parseWideConfig(config);
    const { features } = this.config;
    this.offsets = new Int32Array(features.length);
    let total = 0;
    features.forEach((f, j) => {
      this.offsets[j] = total;
      total += f.size;
    });
    this.biasRow = total;
    this.table = new SparseTable(
      {
        name: this.config.name,
        numRows: total + 1,
        dim: 1,
        optimizer: this.config.optimizer,
        init: { type: 'zeros' },
      },
      undefined,
      storage,
    );
    const { data, stride } = this.table;
    this.featureTables = features.map((f, j) => {
      const first = (this.offsets[j] as number) * stride;
      return tableOver({ ...this.table.config, numRows: f.size }, data.subarray(first, first + f.size * stride));
    });
    this.grads = new RowGradients(this.table);
    this.batchFeature = new Int32Array(features.length);
  }

  get bias(): number {
    return this.table.data[this.biasRow * this.table.stride] as number;
  }

  /**
   * Writes every example's wide logit into out[0 .. batchSize): the bias, then each feature's c_jb
   * (`bagOfScalars` over its view, as `gatherPooled` computes it for the lanes) added in feature order, each
   * addition rounded to float32 by the store: the float32 running sum `sumWideColumns` makes of the lanes'
   * columns, so one thread and any number of lanes agree bit for bit.
   */
  logits(batch: SparseBatch, out: Float32Array): void {
    const B = batch.batchSize;
    if (out.length < B) {
      throw new WideDeepError('SHAPE', `out holds ${out.length} floats, needs batchSize = ${B}`, { field: 'out' });
    }
    const map = this.featureMap(batch);
    const done = simdWideLogits(this.table.data, this.table.stride, batch, this.refs, this.bias, out);
    if (done === null) return;
    if (done !== undefined) throw badWideIdError(batch, this.refs, done, this.table.name);
    const { ids, offsets } = batch;
    out.fill(this.bias, 0, B);
    for (let j = 0; j < map.length; j++) {
      const t = this.featureTables[j] as SparseTable;
      const f = map[j] as number;
      const f0 = f * B;
      for (let b = 0; b < B; b++) {
        if (b % PREFETCH_ROWS === 0) touchRows(t.data, ids, offsets[f0 + b] as number, offsets[f0 + Math.min(B, b + PREFETCH_ROWS)] as number, t.stride, 1);
        out[b] = (out[b] as number) + bagOfScalars(t, batch, f, offsets[f0 + b] as number, offsets[f0 + b + 1] as number);
      }
    }
  }

  /**
   * One optimizer step from dLogits = d(loss)/d(logit) per example (`gradients`, then one update per unique
   * row). `step` is the global 1-based step, `lr` overrides the base rate (alpha for FTRL).
   */
  backward(batch: SparseBatch, dLogits: Float32Array, step: number, lr?: number): void {
    this.gradients(batch, dLogits).apply(step, lr);
  }

  /**
   * The per-row gradients of one step from dLogits = d(loss)/d(logit) per example, not yet applied: the
   * weight of every fired id gets sum over its occurrences of dLogits[b] * value, the bias gets
   * sum_b dLogits[b]. The result is this model's reused `RowGradients` (apply it before the next call).
   */
  gradients(batch: SparseBatch, dLogits: Float32Array): RowGradients {
    const B = batch.batchSize;
    if (dLogits.length < B) {
      throw new WideDeepError('SHAPE', `dLogits holds ${dLogits.length} floats, needs batchSize = ${B}`, { field: 'dLogits' });
    }
    this.featureMap(batch);
    this.grads.addWideStep(batch, this.refs, dLogits, this.biasRow, biasGradient(dLogits, B, 1, 0));
    return this.grads;
  }

  /**
   * The bias's gradient alone, sum_b dLogits[b * stride + col] (added in example order), as this model's
   * reused `RowGradients`: what `gradients` starts from, and all that is left on the calling thread when
   * sparse workers update the features' rows.
   */
  biasGradients(dLogits: Float32Array, batchSize: number, stride = 1, col = 0): RowGradients {
    const grads = this.grads;
    grads.reset();
    grads.addScalar(this.biasRow, biasGradient(dLogits, batchSize, stride, col));
    return grads;
  }

  /** The terms that fired for example `b` (for explanations), with the bias and the resulting logit. */
  explain(batch: SparseBatch, b: number): WideExplanation {
    if (!Number.isInteger(b) || b < 0 || b >= batch.batchSize) {
      throw new WideDeepError('BATCH', `example ${b} is outside [0, ${batch.batchSize})`, { field: 'example' });
    }
    const map = this.featureMap(batch);
    const { data, stride } = this.table;
    const terms: WideTerm[] = [];
    const bias = this.bias;
    let logit = bias;
    for (let j = 0; j < map.length; j++) {
      const f = map[j] as number;
      const { key, size } = this.config.features[j] as WideFeatureConfig;
      const bag = f * batch.batchSize + b;
      for (let i = batch.offsets[bag] as number; i < (batch.offsets[bag + 1] as number); i++) {
        const id = batch.ids[i] as number;
        if (id >>> 0 >= size) throw idOutOfRange(batch, f, id, size, this.table.name);
        const value = batch.weights === undefined ? 1 : (batch.weights[i] as number);
        const weight = data[((this.offsets[j] as number) + id) * stride] as number;
        terms.push({ key, id, value, weight, contribution: value * weight });
        logit += value * weight;
      }
    }
    return { bias, terms, logit };
  }

  /**
   * Batch feature index of every wide feature (and `refs`, the same with each feature's rows), recomputed only
   * when the batch's keys array changes.
   */
  featureMap(batch: SparseBatch): Int32Array {
    if (batch.keys !== this.lastKeys) {
      this.config.features.forEach((feat, j) => {
        this.batchFeature[j] = featureIndex(batch, feat.key);
      });
      this.refs = this.config.features.map((feat, j) => ({ feature: this.batchFeature[j] as number, offset: this.offsets[j] as number, size: feat.size }));
      this.lastKeys = batch.keys;
    }
    return this.batchFeature;
  }
}

/** sum_b dLogits[b * stride + col], in example order (a double sum, rounded where it is stored). */
function biasGradient(dLogits: Float32Array, batchSize: number, stride: number, col: number): number {
  let dBias = 0;
  for (let b = 0; b < batchSize; b++) dBias += dLogits[b * stride + col] as number;
  return dBias;
}

/**
 * The wide logits from a block of per-feature columns (c_jb, as sparse workers gather them): for every example b,
 * `out[b * outStride + outCol] = bias + block[b, col] + ... + block[b, col + count - 1]`, a float32 running
 * sum in that order (each addition rounded to float32, as a float32 accumulator and ONNX's float32 adds do;
 * for one id per bag it is the sum the wide part has always computed).
 */
export function sumWideColumns(block: Float32Array, width: number, col: number, count: number, bias: number, batchSize: number, out: Float32Array, outStride: number, outCol: number): void {
  for (let b = 0; b < batchSize; b++) {
    const o = b * width + col;
    let s = bias;
    for (let j = 0; j < count; j++) s = Math.fround(s + (block[o + j] as number));
    out[b * outStride + outCol] = s;
  }
}
