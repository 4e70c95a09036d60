import type { FloatArray, LabelArray, WeightOption } from './types.js';
import { checkBinaryInput, checkPositiveInt, checkProbabilities, checkTotalWeight } from './validate.js';

export interface CalibrationCurveOptions extends WeightOption {
  /** Number of equal-width bins over [0, 1]. Default 10. */
  readonly bins?: number;
}

/**
 * A reliability diagram. Bin b holds predictions p with floor(p * bins) === b, i.e. [b/bins, (b+1)/bins), with
 * p = 1 in the last bin. Empty bins have weight 0 and NaN means.
 */
export interface CalibrationCurve {
  /** bins + 1 edges, edges[b] = b / bins. */
  readonly edges: Float64Array;
  /** Summed example weight per bin (the count when unweighted). */
  readonly weight: Float64Array;
  /** Weighted mean prediction per bin. */
  readonly meanPrediction: Float64Array;
  /** Weighted fraction of positives per bin. */
  readonly fractionPositive: Float64Array;
  /** Expected calibration error: sum over bins of weight share * |meanPrediction - fractionPositive|. */
  readonly expectedCalibrationError: number;
}

export function calibrationCurve(predictions: FloatArray, labels: LabelArray, options: CalibrationCurveOptions = {}): CalibrationCurve {
  const bins = options.bins ?? 10;
  checkPositiveInt('bins', bins);
  checkBinaryInput('calibrationCurve', predictions, labels, options.weights);
  checkProbabilities('predictions', predictions);
  const { weights } = options;
  const weight = new Float64Array(bins);
  const meanPrediction = new Float64Array(bins);
  const fractionPositive = new Float64Array(bins);
  for (let i = 0; i < predictions.length; i++) {
    const p = predictions[i]!;
    const w = weights === undefined ? 1 : weights[i]!;
    const b = Math.min(Math.floor(p * bins), bins - 1);
    weight[b]! += w;
    meanPrediction[b]! += w * p;
    fractionPositive[b]! += w * labels[i]!;
  }
  let total = 0;
  for (let b = 0; b < bins; b++) total += weight[b]!;
  checkTotalWeight(total);
  let ece = 0;
  const edges = new Float64Array(bins + 1);
  for (let b = 0; b <= bins; b++) edges[b] = b / bins;
  for (let b = 0; b < bins; b++) {
    const w = weight[b]!;
    meanPrediction[b] = w > 0 ? meanPrediction[b]! / w : Number.NaN;
    fractionPositive[b] = w > 0 ? fractionPositive[b]! / w : Number.NaN;
    if (w > 0) ece += (w / total) * Math.abs(meanPrediction[b]! - fractionPositive[b]!);
  }
  return { edges, weight, meanPrediction, fractionPositive, expectedCalibrationError: ece };
}
