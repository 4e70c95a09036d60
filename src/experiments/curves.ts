import type { RowChunk } from '../data/index.js';
import type { FittedSpec } from '../features/fitted-spec.js';
import { tieGroups } from '../metrics/auc.js';
import { type FloatArray, type LabelArray, calibrationCurve, rocCurve } from '../metrics/index.js';
import type { WideDeepModel } from '../model/wide-deep.js';
import { batchesOf } from '../train/pipeline.js';

/** Predictions of a model over rows, in row order: probabilities, joint logits, labels. */
export interface Scored {
  readonly prediction: Float32Array;
  readonly logit: Float32Array;
  readonly labels: Float32Array;
}

/** Scores every row (single-output models: binary or regression). */
export async function scoreRows(model: WideDeepModel, spec: FittedSpec, rows: RowChunk, batchSize = 4096): Promise<Scored> {
  const prediction = new Float32Array(rows.numRows);
  const logit = new Float32Array(rows.numRows);
  const labels = new Float32Array(rows.numRows);
  let at = 0;
  for (const b of batchesOf(spec, rows, batchSize)) {
    const p = await model.predict(b);
    prediction.set(p.prediction, at);
    logit.set(p.logits, at);
    if (b.labels) labels.set(b.labels, at);
    at += b.size;
  }
  return { prediction, logit, labels };
}

/**
 * What the report draws for a trial (and a fit's run.json), kept small in the results line: the ROC curve as
 * TPR on a fixed FPR grid (so curves of several seeds average point by point), a 10-bin reliability diagram
 * with its row counts, the precision-recall curve on a fixed recall grid and a score histogram. `pr` and
 * `histogram` are absent in results files written before they were recorded; readers draw what is there.
 */
export interface TrialCurves {
  readonly roc: { readonly fpr: number[]; readonly tpr: number[] };
  /**
   * Equal-width bins over [0, 1]: mean prediction and fraction positive per bin (null for an empty bin), and
   * `weight`, the rows in each bin (scoring is unweighted, so the weight is the count).
   */
  readonly calibration: { readonly meanPrediction: (number | null)[]; readonly fractionPositive: (number | null)[]; readonly weight: number[] };
  /** Precision-recall: interpolated precision at recall = 0, 1/grid, ..., 1, and the average precision. */
  readonly pr?: PrOnGrid;
  /** Positives and negatives per equal-width bin of the predicted probability over [0, 1]. */
  readonly histogram?: ScoreHistogram;
}

/** The precision-recall curve on a recall grid (see prOnGrid). */
export interface PrOnGrid {
  readonly recall: number[];
  /** Highest precision at any threshold whose recall is at least recall[g] (the interpolated precision). */
  readonly precision: number[];
  /** Sum over thresholds of (recall step) x precision, as scikit-learn's average_precision_score. */
  readonly averagePrecision: number;
}

/** Counts of positive and negative rows per bin; bin b holds predictions in [b/bins, (b+1)/bins), 1 in the last. */
export interface ScoreHistogram {
  readonly positives: number[];
  readonly negatives: number[];
}

export const ROC_GRID = 100;
export const PR_GRID = 100;
export const CALIBRATION_BINS = 10;
export const HISTOGRAM_BINS = 20;

/** TPR at FPR = 0, 1/grid, ..., 1, by linear interpolation along the ROC curve. */
export function rocOnGrid(fpr: ArrayLike<number>, tpr: ArrayLike<number>, grid = ROC_GRID): { fpr: number[]; tpr: number[] } {
  const xs: number[] = [];
  const ys: number[] = [];
  let j = 0;
  for (let g = 0; g <= grid; g++) {
    const x = g / grid;
    while (j + 1 < fpr.length && (fpr[j + 1] as number) <= x) j++;
    // Highest TPR reached at this FPR (vertical steps), else interpolate to the next point.
    let y = tpr[j] as number;
    if ((fpr[j] as number) < x && j + 1 < fpr.length) {
      const x0 = fpr[j] as number;
      const x1 = fpr[j + 1] as number;
      y = (tpr[j] as number) + ((x - x0) / (x1 - x0)) * ((tpr[j + 1] as number) - (tpr[j] as number));
    }
    xs.push(x);
    ys.push(y);
  }
  return { fpr: xs, tpr: ys };
}

/**
 * The precision-recall curve of binary predictions on a recall grid. Thresholds are the distinct predictions
 * (ties move together, as in the ROC curve); the precision at grid recall r is the highest precision among
 * the thresholds reaching recall >= r, which keeps the curve monotone so seeds average point by point. Needs
 * at least one positive.
 */
export function prOnGrid(prediction: FloatArray, labels: LabelArray, grid = PR_GRID): PrOnGrid {
  const t = tieGroups(prediction, labels, undefined);
  let positives = 0;
  for (const p of t.pos) positives += p;
  const m = t.scores.length;
  const recall = new Float64Array(m);
  const precision = new Float64Array(m);
  let tp = 0;
  let fp = 0;
  let ap = 0;
  let before = 0;
  for (let j = 0; j < m; j++) {
    const g = m - 1 - j;
    tp += t.pos[g] as number;
    fp += t.neg[g] as number;
    recall[j] = tp / positives;
    precision[j] = tp / (tp + fp);
    ap += ((recall[j] as number) - before) * (precision[j] as number);
    before = recall[j] as number;
  }
  // Highest precision at recall >= recall[j], from the right.
  for (let j = m - 2; j >= 0; j--) precision[j] = Math.max(precision[j] as number, precision[j + 1] as number);
  const xs: number[] = [];
  const ys: number[] = [];
  let j = 0;
  for (let g = 0; g <= grid; g++) {
    const r = g / grid;
    while (j < m - 1 && (recall[j] as number) < r) j++;
    xs.push(r);
    ys.push(precision[j] as number);
  }
  return { recall: xs, precision: ys, averagePrecision: ap };
}

/** Positive and negative counts per equal-width bin of the predictions (probabilities in [0, 1]). */
export function scoreHistogram(prediction: ArrayLike<number>, labels: ArrayLike<number>, bins = HISTOGRAM_BINS): ScoreHistogram {
  const positives = new Array<number>(bins).fill(0);
  const negatives = new Array<number>(bins).fill(0);
  for (let i = 0; i < prediction.length; i++) {
    const b = Math.max(0, Math.min(Math.floor((prediction[i] as number) * bins), bins - 1));
    if (labels[i] === 1) positives[b] = (positives[b] as number) + 1;
    else negatives[b] = (negatives[b] as number) + 1;
  }
  return { positives, negatives };
}

/** The curves of binary test predictions; null when the rows hold one class only (no ROC, no PR). */
export function trialCurves(s: Scored): TrialCurves | null {
  let pos = 0;
  for (const l of s.labels) pos += l;
  if (pos === 0 || pos === s.labels.length) return null;
  const roc = rocCurve(s.prediction, s.labels);
  const cal = calibrationCurve(s.prediction, s.labels, { bins: CALIBRATION_BINS });
  const nan = (v: number): number | null => (Number.isNaN(v) ? null : v);
  return {
    roc: rocOnGrid(roc.fpr, roc.tpr),
    calibration: { meanPrediction: Array.from(cal.meanPrediction, nan), fractionPositive: Array.from(cal.fractionPositive, nan), weight: Array.from(cal.weight) },
    pr: prOnGrid(s.prediction, s.labels),
    histogram: scoreHistogram(s.prediction, s.labels),
  };
}
