import { WideDeepError } from '../core/errors.js';
import { aucFromGroups, tieGroups } from './auc.js';
import {
  DEFAULT_EPS,
  DEFAULT_THRESHOLD,
  addBinarySums,
  bestF1From,
  checkEps,
  checkThreshold,
  newBinarySums,
  prf,
} from './binary.js';
import { addMulticlassSums, checkMulticlassInput, newMulticlassSums } from './multiclass.js';
import { type RankingMetrics, rankingUnchecked } from './ranking.js';
import { addRegressionSums, checkRegressionInput, newRegressionSums } from './regression.js';
import type { FloatArray, LabelArray, UserIds } from './types.js';
import { checkBinaryInput, checkKeys, checkLength, checkPositiveInt, checkProbabilities, checkTotalWeight } from './validate.js';

/** One batch of examples. `users` is for binary objectives only and turns on the ranking metrics. */
export interface MetricInput {
  readonly predictions: FloatArray;
  readonly labels: LabelArray;
  readonly weights?: FloatArray;
  readonly users?: UserIds;
}

export interface BinaryMetricOptions {
  /** Decision threshold for accuracy / precision / recall / F1 (prediction >= threshold is positive). Default 0.5. */
  readonly threshold?: number;
  /** Log-loss clipping. Default 1e-7. */
  readonly eps?: number;
  /** Ranking cutoff K, used when users are given. Default 10. */
  readonly k?: number;
}
export type RegressionMetricOptions = Readonly<Record<never, never>>;
export interface MulticlassMetricOptions {
  /** k of the [n, k] probability block. Default: predictions.length / labels.length. */
  readonly numClasses?: number;
  readonly eps?: number;
}

interface Totals {
  /** Number of examples. */
  readonly count: number;
  /** Summed example weight (= count when unweighted). */
  readonly weight: number;
}
export interface BinaryMetrics extends Totals {
  /** NaN when only one class is present. */
  readonly auc: number;
  readonly logLoss: number;
  readonly accuracy: number;
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  /** The decision threshold that maximises F1 on these examples (the highest among ties), and that F1. */
  readonly bestF1Threshold: number;
  readonly bestF1: number;
  /** meanPrediction / meanLabel; NaN without positives. */
  readonly calibration: number;
  readonly meanPrediction: number;
  readonly meanLabel: number;
  /** Present when users were given. Weights do not apply to ranking metrics. */
  readonly ranking?: RankingMetrics;
}
export interface RegressionMetrics extends Totals {
  readonly rmse: number;
  readonly mae: number;
  readonly meanPrediction: number;
  readonly meanLabel: number;
}
export interface MulticlassMetrics extends Totals {
  readonly accuracy: number;
  readonly logLoss: number;
}

interface MetricKinds {
  binary: { options: BinaryMetricOptions; result: BinaryMetrics };
  regression: { options: RegressionMetricOptions; result: RegressionMetrics };
  multiclass: { options: MulticlassMetricOptions; result: MulticlassMetrics };
}
export type MetricKind = keyof MetricKinds;
export type MetricOptions<K extends MetricKind> = MetricKinds[K]['options'];
export type MetricResult<K extends MetricKind> = MetricKinds[K]['result'];
/** A metric set as plain data, e.g. `{ kind: 'binary', threshold: 0.5, k: 10 }`. */
export type MetricSetConfig<K extends MetricKind = MetricKind> = { readonly kind: K } & MetricOptions<K>;

/** Streaming state of one metric set: every kind declares how it adds a batch and what it reports. */
interface MetricSetState<R> {
  add(input: MetricInput): void;
  result(): R;
}
type MetricSetFactory<K extends MetricKind> = (options: MetricOptions<K>) => MetricSetState<MetricResult<K>>;

const METRIC_SETS: { readonly [K in MetricKind]: MetricSetFactory<K> } = {
  binary: binarySet,
  regression: regressionSet,
  multiclass: multiclassSet,
};
export const METRIC_KINDS = Object.keys(METRIC_SETS) as readonly MetricKind[];

/**
 * Streaming evaluation: `add` batches, then `result()`. The result equals `evaluate` on the concatenation of
 * all batches exactly (sums are accumulated element by element in the same order; AUC and ranking metrics
 * keep a copy of the batches, so callers may reuse their buffers after `add`).
 */
export class MetricAccumulator<K extends MetricKind> {
  readonly config: MetricSetConfig<K>;
  private state: MetricSetState<MetricResult<K>>;

  constructor(config: MetricSetConfig<K>) {
    this.config = config;
    this.state = createState(config);
  }

  add(input: MetricInput): this {
    this.state.add(input);
    return this;
  }

  result(): MetricResult<K> {
    return this.state.result();
  }

  /** Forgets every batch added so far. */
  reset(): void {
    this.state = createState(this.config);
  }
}

/** Every metric of an objective on one input, as a plain object. */
export function evaluate<K extends MetricKind>(kind: K, input: MetricInput, options?: MetricOptions<K>): MetricResult<K> {
  return new MetricAccumulator({ ...options, kind } as MetricSetConfig<K>).add(input).result();
}

function createState<K extends MetricKind>(config: MetricSetConfig<K>): MetricSetState<MetricResult<K>> {
  const { kind, ...options } = config;
  if (!Object.hasOwn(METRIC_SETS, kind)) {
    throw new WideDeepError('CONFIG', `unknown metric kind '${String(kind)}'`, { field: 'kind', fix: `use one of ${METRIC_KINDS.join(', ')}` });
  }
  const factory: MetricSetFactory<K> = METRIC_SETS[kind];
  return factory(options as unknown as MetricOptions<K>);
}

function noExamples(): never {
  throw new WideDeepError('DATA', 'no examples were added', { fix: 'add at least one batch before result()' });
}

/** An empty batch (e.g. the last one of an epoch) adds nothing; emptiness is an error only at result(). */
function isEmptyBatch(input: MetricInput): boolean {
  const { predictions, labels, weights, users } = input;
  return predictions.length === 0 && labels.length === 0 && (weights?.length ?? 0) === 0 && (users?.length ?? 0) === 0;
}

/** Weights (and users) must be given for every batch or for none. */
function sameEveryBatch(name: string, seen: boolean | undefined, now: boolean): boolean {
  if (seen !== undefined && seen !== now) {
    throw new WideDeepError('DATA', `${name} were given for some batches but not for others`, { field: name, fix: `pass ${name} with every batch or never` });
  }
  return now;
}

function binarySet(options: BinaryMetricOptions): MetricSetState<BinaryMetrics> {
  checkKeys('binary metric', options, ['threshold', 'eps', 'k']);
  const threshold = options.threshold ?? DEFAULT_THRESHOLD;
  const eps = options.eps ?? DEFAULT_EPS;
  const k = options.k ?? 10;
  checkThreshold(threshold);
  checkEps(eps);
  checkPositiveInt('k', k);
  const sums = newBinarySums();
  const predictions: FloatArray[] = [];
  const labels: LabelArray[] = [];
  const weights: FloatArray[] = [];
  const users: UserIds[] = [];
  let weighted: boolean | undefined;
  let ranked: boolean | undefined;
  return {
    add(input) {
      checkKeys('binary metric input', input, ['predictions', 'labels', 'weights', 'users']);
      if (isEmptyBatch(input)) return;
      checkBinaryInput('binary metrics', input.predictions, input.labels, input.weights);
      checkProbabilities('predictions', input.predictions);
      if (input.users !== undefined) checkLength('users', input.users, input.predictions.length, 'predictions');
      weighted = sameEveryBatch('weights', weighted, input.weights !== undefined);
      ranked = sameEveryBatch('users', ranked, input.users !== undefined);
      addBinarySums(sums, input.predictions, input.labels, input.weights, threshold, eps);
      predictions.push(input.predictions.slice());
      labels.push(input.labels.slice());
      if (input.weights !== undefined) weights.push(input.weights.slice());
      if (input.users !== undefined) users.push(input.users.slice());
    },
    result() {
      if (sums.count === 0) noExamples();
      checkTotalWeight(sums.weight);
      const p = concatValues(predictions);
      const y = concatValues(labels);
      const w = weighted === true ? concatValues(weights) : undefined;
      const groups = tieGroups(p, y, w);
      const best = bestF1From(groups);
      const metrics: BinaryMetrics = {
        count: sums.count,
        weight: sums.weight,
        auc: aucFromGroups(groups),
        logLoss: sums.logLoss / sums.weight,
        accuracy: (sums.tp + sums.tn) / sums.weight,
        ...prf(sums),
        bestF1Threshold: best.threshold,
        bestF1: best.f1,
        calibration: sums.label > 0 ? sums.prediction / sums.label : Number.NaN,
        meanPrediction: sums.prediction / sums.weight,
        meanLabel: sums.label / sums.weight,
      };
      return ranked === true ? { ...metrics, ranking: rankingUnchecked(p, y, concatUsers(users), k) } : metrics;
    },
  };
}

function regressionSet(options: RegressionMetricOptions): MetricSetState<RegressionMetrics> {
  checkKeys('regression metric', options, []);
  const sums = newRegressionSums();
  let weighted: boolean | undefined;
  return {
    add(input) {
      checkKeys('regression metric input', input, ['predictions', 'labels', 'weights']);
      if (isEmptyBatch(input)) return;
      checkRegressionInput('regression metrics', input.predictions, input.labels, input.weights);
      weighted = sameEveryBatch('weights', weighted, input.weights !== undefined);
      addRegressionSums(sums, input.predictions, input.labels, input.weights);
    },
    result() {
      if (sums.count === 0) noExamples();
      checkTotalWeight(sums.weight);
      const { count, weight } = sums;
      return {
        count,
        weight,
        rmse: Math.sqrt(sums.squaredError / weight),
        mae: sums.absoluteError / weight,
        meanPrediction: sums.prediction / weight,
        meanLabel: sums.label / weight,
      };
    },
  };
}

function multiclassSet(options: MulticlassMetricOptions): MetricSetState<MulticlassMetrics> {
  checkKeys('multiclass metric', options, ['numClasses', 'eps']);
  const eps = options.eps ?? DEFAULT_EPS;
  checkEps(eps);
  if (options.numClasses !== undefined) checkPositiveInt('numClasses', options.numClasses);
  let numClasses = options.numClasses;
  const sums = newMulticlassSums();
  let weighted: boolean | undefined;
  return {
    add(input) {
      checkKeys('multiclass metric input', input, ['predictions', 'labels', 'weights']);
      if (isEmptyBatch(input)) return;
      const { predictions, labels, weights } = input;
      // The first batch fixes k when it was not configured, so every batch must agree on it.
      const k = checkMulticlassInput('multiclass metrics', predictions, labels, {
        ...(numClasses !== undefined ? { numClasses } : {}),
        ...(weights !== undefined ? { weights } : {}),
      });
      numClasses = k;
      weighted = sameEveryBatch('weights', weighted, weights !== undefined);
      addMulticlassSums(sums, predictions, k, labels, weights, eps);
    },
    result() {
      if (sums.count === 0) noExamples();
      checkTotalWeight(sums.weight);
      return { count: sums.count, weight: sums.weight, accuracy: sums.correct / sums.weight, logLoss: sums.logLoss / sums.weight };
    },
  };
}

/** Batches of values as one array (the accumulators keep batches; AUC and ranking metrics read them whole). */
export function concatValues(chunks: readonly (FloatArray | LabelArray)[]): Float64Array {
  let n = 0;
  for (const c of chunks) n += c.length;
  const out = new Float64Array(n);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function concatUsers(chunks: readonly UserIds[]): UserIds {
  if (chunks.every((c) => c instanceof Int32Array)) {
    const out = new Int32Array(chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
  return chunks.flatMap((c) => Array.from(c));
}
