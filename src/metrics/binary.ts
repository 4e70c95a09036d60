import { WideDeepError } from '../core/errors.js';
import type { FloatArray, LabelArray, WeightOption } from './types.js';
import { checkBinaryInput, checkNotNaN, checkProbabilities, checkTotalWeight } from './validate.js';

/** Default clipping for log loss: predictions are clipped to [eps, 1 - eps] (float32-friendly). */
export const DEFAULT_EPS = 1e-7;
/** Default decision threshold: a prediction >= threshold counts as positive. */
export const DEFAULT_THRESHOLD = 0.5;

export interface ThresholdOptions extends WeightOption {
  /** A prediction >= threshold counts as positive. Default 0.5. */
  readonly threshold?: number;
}

export interface LogLossOptions extends WeightOption {
  /** Predictions are clipped to [eps, 1 - eps]. Default 1e-7; must be in (0, 0.5). */
  readonly eps?: number;
}

/**
 * Running weighted sums over binary examples, from which every pointwise binary metric is a ratio. Each sum
 * is accumulated element by element, so adding batches one by one gives bit-identical sums to adding their
 * concatenation at once.
 */
export interface BinarySums {
  count: number;
  weight: number;
  logLoss: number;
  tp: number;
  fp: number;
  tn: number;
  fn: number;
  prediction: number;
  label: number;
}

export function newBinarySums(): BinarySums {
  return { count: 0, weight: 0, logLoss: 0, tp: 0, fp: 0, tn: 0, fn: 0, prediction: 0, label: 0 };
}

/** Adds (checked) examples into `s`. Accumulates; allocates nothing. */
export function addBinarySums(
  s: BinarySums,
  predictions: FloatArray,
  labels: LabelArray,
  weights: FloatArray | undefined,
  threshold: number,
  eps: number,
): void {
  let { weight, logLoss, tp, fp, tn, fn, prediction, label } = s;
  for (let i = 0; i < predictions.length; i++) {
    const p = predictions[i]!;
    const y = labels[i]!;
    const w = weights === undefined ? 1 : weights[i]!;
    const c = Math.min(Math.max(p, eps), 1 - eps);
    weight += w;
    logLoss -= w * (y === 1 ? Math.log(c) : Math.log(1 - c));
    if (p >= threshold) {
      if (y === 1) tp += w;
      else fp += w;
    } else if (y === 1) fn += w;
    else tn += w;
    prediction += w * p;
    label += w * y;
  }
  s.count += predictions.length;
  s.weight = weight;
  s.logLoss = logLoss;
  s.tp = tp;
  s.fp = fp;
  s.tn = tn;
  s.fn = fn;
  s.prediction = prediction;
  s.label = label;
}

export function checkThreshold(threshold: number): void {
  if (!Number.isFinite(threshold)) throw new WideDeepError('CONFIG', `threshold must be finite, got ${threshold}`, { field: 'threshold' });
}

export function checkEps(eps: number): void {
  if (!(eps > 0 && eps < 0.5)) throw new WideDeepError('CONFIG', `eps must be in (0, 0.5), got ${eps}`, { field: 'eps' });
}

function sums(predictions: FloatArray, labels: LabelArray, weights: FloatArray | undefined, threshold: number, eps: number): BinarySums {
  const s = newBinarySums();
  addBinarySums(s, predictions, labels, weights, threshold, eps);
  checkTotalWeight(s.weight);
  return s;
}

/** Mean (weighted) binary cross-entropy, predictions clipped to [eps, 1 - eps]. Predictions must be in [0, 1]. */
export function logLoss(predictions: FloatArray, labels: LabelArray, options: LogLossOptions = {}): number {
  const eps = options.eps ?? DEFAULT_EPS;
  checkEps(eps);
  checkBinaryInput('logLoss', predictions, labels, options.weights);
  checkProbabilities('predictions', predictions);
  const s = sums(predictions, labels, options.weights, DEFAULT_THRESHOLD, eps);
  return s.logLoss / s.weight;
}

/** Fraction (by weight) of examples with (prediction >= threshold) === (label === 1). */
export function accuracy(predictions: FloatArray, labels: LabelArray, options: ThresholdOptions = {}): number {
  const s = thresholdSums('accuracy', predictions, labels, options);
  return (s.tp + s.tn) / s.weight;
}

export interface PrecisionRecallF1 {
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
}

/**
 * Precision, recall and F1 of the positive class at a threshold. Zero-division convention: precision is 0
 * when nothing is predicted positive, recall is 0 when there is no positive, F1 is 0 when both are 0.
 */
export function precisionRecallF1(predictions: FloatArray, labels: LabelArray, options: ThresholdOptions = {}): PrecisionRecallF1 {
  return prf(thresholdSums('precisionRecallF1', predictions, labels, options));
}

export function prf(s: BinarySums): PrecisionRecallF1 {
  const precision = s.tp + s.fp > 0 ? s.tp / (s.tp + s.fp) : 0;
  const recall = s.tp + s.fn > 0 ? s.tp / (s.tp + s.fn) : 0;
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  return { precision, recall, f1 };
}

/** The decision threshold with the highest F1, and that F1. */
export interface BestF1 {
  readonly threshold: number;
  readonly f1: number;
}

/**
 * The threshold that maximises F1 (prediction >= threshold is positive) over tie groups: every distinct score
 * is a candidate, swept from the highest down, so `tp` and `fp` are the weights at or above it; the highest
 * threshold among equal F1s wins. `{ threshold: 1, f1: 0 }` without a positive.
 */
export function bestF1From(groups: { readonly scores: ArrayLike<number>; readonly pos: ArrayLike<number>; readonly neg: ArrayLike<number> }): BestF1 {
  let positives = 0;
  for (let g = 0; g < groups.pos.length; g++) positives += groups.pos[g] as number;
  let best: BestF1 = { threshold: 1, f1: 0 };
  let tp = 0;
  let fp = 0;
  for (let g = groups.scores.length - 1; g >= 0; g--) {
    tp += groups.pos[g] as number;
    fp += groups.neg[g] as number;
    const f1 = tp > 0 ? (2 * tp) / (2 * tp + fp + (positives - tp)) : 0;
    if (f1 > best.f1) best = { threshold: groups.scores[g] as number, f1 };
  }
  return best;
}

/**
 * Calibration ratio: mean prediction / mean label (1 is perfectly calibrated on average; > 1 over-predicts).
 * NaN when no example is positive. Predictions must be in [0, 1].
 */
export function calibration(predictions: FloatArray, labels: LabelArray, options: WeightOption = {}): number {
  checkBinaryInput('calibration', predictions, labels, options.weights);
  checkProbabilities('predictions', predictions);
  const s = sums(predictions, labels, options.weights, DEFAULT_THRESHOLD, DEFAULT_EPS);
  return s.label > 0 ? s.prediction / s.label : Number.NaN;
}

function thresholdSums(what: string, predictions: FloatArray, labels: LabelArray, options: ThresholdOptions): BinarySums {
  const threshold = options.threshold ?? DEFAULT_THRESHOLD;
  checkThreshold(threshold);
  checkBinaryInput(what, predictions, labels, options.weights);
  checkNotNaN('predictions', predictions);
  return sums(predictions, labels, options.weights, threshold, DEFAULT_EPS);
}
