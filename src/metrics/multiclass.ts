import { WideDeepError } from '../core/errors.js';
import { DEFAULT_EPS, checkEps } from './binary.js';
import type { FloatArray, LabelArray, WeightOption } from './types.js';
import { checkClassLabels, checkNonEmpty, checkPositiveInt, checkProbabilities, checkTotalWeight, checkWeights } from './validate.js';

/**
 * Multi-class metrics read a row-major [n, k] probability block: `probabilities[i * k + c]` is the probability
 * of class c for example i, and `labels[i]` is the class index in [0, k). k is `numClasses` when given and
 * otherwise probabilities.length / labels.length.
 */
export interface MulticlassOptions extends WeightOption {
  /** k; checked against the block size. Default: probabilities.length / labels.length. */
  readonly numClasses?: number;
  /** Log loss clips the probability of the true class to [eps, 1 - eps]. Default 1e-7. */
  readonly eps?: number;
}

export interface MulticlassSums {
  count: number;
  weight: number;
  correct: number;
  logLoss: number;
}

export function newMulticlassSums(): MulticlassSums {
  return { count: 0, weight: 0, correct: 0, logLoss: 0 };
}

/** Adds (checked) examples into `s`. The predicted class is the first arg-max, so ties go to the lower index. */
export function addMulticlassSums(
  s: MulticlassSums,
  probabilities: FloatArray,
  k: number,
  labels: LabelArray,
  weights: FloatArray | undefined,
  eps: number,
): void {
  let { weight, correct, logLoss } = s;
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i]!;
    const w = weights === undefined ? 1 : weights[i]!;
    const row = i * k;
    let best = 0;
    for (let c = 1; c < k; c++) if (probabilities[row + c]! > probabilities[row + best]!) best = c;
    const p = Math.min(Math.max(probabilities[row + y]!, eps), 1 - eps);
    weight += w;
    if (best === y) correct += w;
    logLoss -= w * Math.log(p);
  }
  s.count += labels.length;
  s.weight = weight;
  s.correct = correct;
  s.logLoss = logLoss;
}

/** Checks a multi-class input and returns k. */
export function checkMulticlassInput(what: string, probabilities: FloatArray, labels: LabelArray, options: MulticlassOptions): number {
  const n = labels.length;
  checkNonEmpty(n, what);
  const k = options.numClasses ?? probabilities.length / n;
  if (options.numClasses !== undefined) checkPositiveInt('numClasses', k);
  if (!Number.isInteger(k) || k < 1 || probabilities.length !== n * k) {
    throw new WideDeepError('SHAPE', `probabilities has ${probabilities.length} entries, which is not labels.length (${n}) * numClasses (${options.numClasses ?? 'k'})`, {
      field: 'probabilities',
      fix: 'pass a row-major [n, k] block with one row per label',
    });
  }
  checkWeights(options.weights, n);
  checkProbabilities('probabilities', probabilities);
  checkClassLabels('labels', labels, k);
  return k;
}

function sums(what: string, probabilities: FloatArray, labels: LabelArray, options: MulticlassOptions): MulticlassSums {
  const eps = options.eps ?? DEFAULT_EPS;
  checkEps(eps);
  const k = checkMulticlassInput(what, probabilities, labels, options);
  const s = newMulticlassSums();
  addMulticlassSums(s, probabilities, k, labels, options.weights, eps);
  checkTotalWeight(s.weight);
  return s;
}

/** Fraction (by weight) of rows whose arg-max (first on ties) is the label. */
export function multiclassAccuracy(probabilities: FloatArray, labels: LabelArray, options: MulticlassOptions = {}): number {
  const s = sums('multiclassAccuracy', probabilities, labels, options);
  return s.correct / s.weight;
}

/** Mean (weighted) -log p[i, labels[i]], clipped to [eps, 1 - eps]. */
export function multiclassLogLoss(probabilities: FloatArray, labels: LabelArray, options: MulticlassOptions = {}): number {
  const s = sums('multiclassLogLoss', probabilities, labels, options);
  return s.logLoss / s.weight;
}
