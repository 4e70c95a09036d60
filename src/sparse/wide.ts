import { WideDeepError } from '../core/index.js';
import type { SparseBatch } from '../core/index.js';
import { checkKeys, expectObject, readInt, readString } from './config-check.js';
import type { RowOptimizerConfig, RowOptimizerConfigInput } from './row-optimizer.js';
import { parseRowOptimizerConfig } from './row-optimizer.js';
import { RowGradients } from './row-gradients.js';
import { PREFETCH_ROWS, touchOffsetRows } from './prefetch.js';
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
 * Feature j owns rows [offsets[j], offsets[j] + size_j) of the table; the bias is the last row
 * (`biasRow`), updated by the same optimizer (so FTRL's l1/l2 apply to it too, as in TensorFlow's
 * LinearClassifier). Weights start at zero.
 *
 * logit_b = bias + sum_j sum_{i in bag(j, b)} value_i * w[offsets[j] + id_i]
 *
 * which is "one-hot (or multi-hot, weighted) vector . weights + bias", computed as a sum of 1-dim embeddings.
 */
export class WideLinear {
  readonly config: WideConfigNormalized;
  readonly table: SparseTable;
  /** First table row of every feature, in config order. */
  readonly offsets: Int32Array;
  readonly biasRow: number;
  private readonly grads: RowGradients;
  private lastKeys: readonly string[] | undefined;
  private readonly batchFeature: Int32Array;

  constructor(config: WideConfig) {
    this.config = parseWideConfig(config);
    const { features } = this.config;
    this.offsets = new Int32Array(features.length);
    let total = 0;
    features.forEach((f, j) => {
      this.offsets[j] = total;
      total += f.size;
    });
    this.biasRow = total;
    this.table = new SparseTable({
      name: this.config.name,
      numRows: total + 1,
      dim: 1,
      optimizer: this.config.optimizer,
      init: { type: 'zeros' },
    });
    this.grads = new RowGradients(this.table);
    this.batchFeature = new Int32Array(features.length);
  }

  get bias(): number {
    return this.table.data[this.biasRow * this.table.stride] as number;
  }

  /** Writes every example's wide logit into out[0 .. batchSize). */
  logits(batch: SparseBatch, out: Float32Array): void {
    const B = batch.batchSize;
    if (out.length < B) {
      throw new WideDeepError('SHAPE', `out holds ${out.length} floats, needs batchSize = ${B}`, { field: 'out' });
    }
    const map = this.featureMap(batch);
    const { data, stride } = this.table;
    const { ids, offsets, weights } = batch;
    const bias = this.bias;
    for (let b = 0; b < B; b++) out[b] = bias;
    for (let j = 0; j < map.length; j++) {
      const f = map[j] as number;
      const rowOffset = this.offsets[j] as number;
      const size = (this.config.features[j] as WideFeatureConfig).size;
      const f0 = f * B;
      for (let b = 0; b < B; b++) {
        if (b % PREFETCH_ROWS === 0) touchOffsetRows(data, ids, offsets[f0 + b] as number, offsets[f0 + Math.min(B, b + PREFETCH_ROWS)] as number, rowOffset, stride);
        const hi = offsets[f0 + b + 1] as number;
        let s = out[b] as number;
        for (let i = offsets[f0 + b] as number; i < hi; i++) {
          const id = ids[i] as number;
          if (id >>> 0 >= size) throw idOutOfRange(batch, f, id, size, this.table.name);
          const w = data[(rowOffset + id) * stride] as number;
          s += weights === undefined ? w : (weights[i] as number) * w;
        }
        out[b] = s;
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
    const map = this.featureMap(batch);
    const grads = this.grads;
    grads.reset();
    let dBias = 0;
    for (let b = 0; b < B; b++) dBias += dLogits[b] as number;
    grads.addScalar(this.biasRow, dBias);
    for (let j = 0; j < map.length; j++) {
      const f = map[j] as number;
      const rowOffset = this.offsets[j] as number;
      const size = (this.config.features[j] as WideFeatureConfig).size;
      grads.addWide(batch, f, rowOffset, size, dLogits);
    }
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

  /** Batch feature index of every wide feature, recomputed only when the batch's keys array changes. */
  private featureMap(batch: SparseBatch): Int32Array {
    if (batch.keys !== this.lastKeys) {
      this.config.features.forEach((feat, j) => {
        this.batchFeature[j] = featureIndex(batch, feat.key);
      });
      this.lastKeys = batch.keys;
    }
    return this.batchFeature;
  }
}
