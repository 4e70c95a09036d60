import { WideDeepError } from '../core/errors.js';
import type { FloatArray, LabelArray, WeightOption } from './types.js';
import { checkBinaryInput, checkNotNaN } from './validate.js';

/**
 * Examples grouped by distinct score, ascending: `pos[g]` / `neg[g]` are the summed weights of the positive /
 * negative examples whose score equals `scores[g]`. Sorting is O(n log n); ties are whole groups, so the
 * order of equal scores never matters.
 */
export interface TieGroups {
  readonly scores: Float64Array;
  readonly pos: Float64Array;
  readonly neg: Float64Array;
}

/** Groups (unchecked) inputs by distinct score. Indices are sorted by score, then by position. */
export function tieGroups(predictions: FloatArray, labels: LabelArray, weights: FloatArray | undefined): TieGroups {
  const n = predictions.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  // `||` also handles Infinity - Infinity = NaN: equal infinities fall through to the index.
  order.sort((a, b) => predictions[a]! - predictions[b]! || a - b);
  const scores = new Float64Array(n);
  const pos = new Float64Array(n);
  const neg = new Float64Array(n);
  let g = -1;
  for (let r = 0; r < n; r++) {
    const i = order[r]!;
    const s = predictions[i]!;
    if (g < 0 || s !== scores[g]) scores[++g] = s;
    const w = weights === undefined ? 1 : weights[i]!;
    if (labels[i] === 1) pos[g]! += w;
    else neg[g]! += w;
  }
  return { scores: scores.subarray(0, g + 1), pos: pos.subarray(0, g + 1), neg: neg.subarray(0, g + 1) };
}

/**
 * Area under the ROC curve from tie groups: the (weighted) Mann-Whitney U statistic with mid-ranks for ties,
 * U / (P * N). A positive in group g outranks every negative in lower groups and half of the negatives in its
 * own group, which is exactly what the average rank of that group counts. NaN when one class is absent.
 */
export function aucFromGroups(t: TieGroups): number {
  let negBelow = 0;
  let posTotal = 0;
  let u = 0;
  for (let g = 0; g < t.scores.length; g++) {
    const p = t.pos[g]!;
    const q = t.neg[g]!;
    u += p * (negBelow + 0.5 * q);
    negBelow += q;
    posTotal += p;
  }
  return posTotal > 0 && negBelow > 0 ? u / (posTotal * negBelow) : Number.NaN;
}

/**
 * Exact ROC AUC with ties counted 1/2, O(n log n). Labels must be 0/1; predictions may be probabilities or
 * logits (any non-NaN value). Returns NaN when the input holds only one class (AUC is undefined).
 */
export function auc(predictions: FloatArray, labels: LabelArray, options: WeightOption = {}): number {
  checkBinaryInput('auc', predictions, labels, options.weights);
  checkNotNaN('predictions', predictions);
  return aucFromGroups(tieGroups(predictions, labels, options.weights));
}

/** ROC curve points, from the highest threshold down. Point 0 is (0, 0) at threshold +Infinity. */
export interface RocCurve {
  readonly fpr: Float64Array;
  readonly tpr: Float64Array;
  /** Point j counts as positive every prediction >= thresholds[j]. */
  readonly thresholds: Float64Array;
}

/**
 * ROC curve with one point per distinct prediction (ties move the curve diagonally, so the trapezoidal area
 * under it equals `auc`). Throws when the input holds only one class.
 */
export function rocCurve(predictions: FloatArray, labels: LabelArray, options: WeightOption = {}): RocCurve {
  checkBinaryInput('rocCurve', predictions, labels, options.weights);
  checkNotNaN('predictions', predictions);
  const t = tieGroups(predictions, labels, options.weights);
  const m = t.scores.length;
  let posTotal = 0;
  let negTotal = 0;
  for (let g = 0; g < m; g++) {
    posTotal += t.pos[g]!;
    negTotal += t.neg[g]!;
  }
  if (!(posTotal > 0 && negTotal > 0)) {
    throw new WideDeepError('DATA', 'rocCurve needs both positive and negative examples (with weight > 0)', {
      field: 'labels',
      fix: 'evaluate on a sample that holds both classes',
    });
  }
  const fpr = new Float64Array(m + 1);
  const tpr = new Float64Array(m + 1);
  const thresholds = new Float64Array(m + 1);
  thresholds[0] = Infinity;
  let tp = 0;
  let fp = 0;
  for (let j = 1; j <= m; j++) {
    const g = m - j;
    tp += t.pos[g]!;
    fp += t.neg[g]!;
    fpr[j] = fp / negTotal;
    tpr[j] = tp / posTotal;
    thresholds[j] = t.scores[g]!;
  }
  return { fpr, tpr, thresholds };
}
