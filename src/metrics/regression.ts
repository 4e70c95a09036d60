import type { FloatArray, LabelArray, WeightOption } from './types.js';
import { checkFinite, checkLength, checkNonEmpty, checkTotalWeight, checkWeights } from './validate.js';

/** Running weighted sums over regression examples (element-by-element, so batching does not change them). */
export interface RegressionSums {
  count: number;
  weight: number;
  squaredError: number;
  absoluteError: number;
  prediction: number;
  label: number;
}

export function newRegressionSums(): RegressionSums {
  return { count: 0, weight: 0, squaredError: 0, absoluteError: 0, prediction: 0, label: 0 };
}

/** Adds (checked) examples into `s`. Accumulates; allocates nothing. */
export function addRegressionSums(s: RegressionSums, predictions: FloatArray, labels: LabelArray, weights: FloatArray | undefined): void {
  let { weight, squaredError, absoluteError, prediction, label } = s;
  for (let i = 0; i < predictions.length; i++) {
    const p = predictions[i]!;
    const y = labels[i]!;
    const w = weights === undefined ? 1 : weights[i]!;
    const e = p - y;
    weight += w;
    squaredError += w * e * e;
    absoluteError += w * Math.abs(e);
    prediction += w * p;
    label += w * y;
  }
  s.count += predictions.length;
  s.weight = weight;
  s.squaredError = squaredError;
  s.absoluteError = absoluteError;
  s.prediction = prediction;
  s.label = label;
}

/** Checks a regression input: aligned, non-empty, finite predictions and labels, valid weights. */
export function checkRegressionInput(what: string, predictions: FloatArray, labels: LabelArray, weights: FloatArray | undefined): void {
  checkLength('labels', labels, predictions.length, 'predictions');
  checkNonEmpty(predictions.length, what);
  checkWeights(weights, predictions.length);
  checkFinite('predictions', predictions);
  checkFinite('labels', labels);
}

function sums(what: string, predictions: FloatArray, labels: LabelArray, options: WeightOption): RegressionSums {
  checkRegressionInput(what, predictions, labels, options.weights);
  const s = newRegressionSums();
  addRegressionSums(s, predictions, labels, options.weights);
  checkTotalWeight(s.weight);
  return s;
}

/** Root of the (weighted) mean squared error. */
export function rmse(predictions: FloatArray, labels: LabelArray, options: WeightOption = {}): number {
  const s = sums('rmse', predictions, labels, options);
  return Math.sqrt(s.squaredError / s.weight);
}

/** (Weighted) mean absolute error. */
export function mae(predictions: FloatArray, labels: LabelArray, options: WeightOption = {}): number {
  const s = sums('mae', predictions, labels, options);
  return s.absoluteError / s.weight;
}
