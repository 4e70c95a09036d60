import type { RowChunk } from '../data/index.js';
import type { FittedSpec } from '../features/fitted-spec.js';
import { calibrationCurve, rocCurve } from '../metrics/index.js';
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
 * What the report draws for a trial, kept small in the results line: the ROC curve as TPR on a fixed FPR grid
 * (so curves of several seeds average point by point) and a 10-bin reliability diagram.
 */
export interface TrialCurves {
  readonly roc: { readonly fpr: number[]; readonly tpr: number[] };
  readonly calibration: { readonly meanPrediction: (number | null)[]; readonly fractionPositive: (number | null)[]; readonly weight: number[] };
}

export const ROC_GRID = 100;

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

export function trialCurves(s: Scored): TrialCurves | null {
  let pos = 0;
  for (const l of s.labels) pos += l;
  if (pos === 0 || pos === s.labels.length) return null;
  const roc = rocCurve(s.prediction, s.labels);
  const cal = calibrationCurve(s.prediction, s.labels, { bins: 10 });
  const nan = (v: number): number | null => (Number.isNaN(v) ? null : v);
  return {
    roc: rocOnGrid(roc.fpr, roc.tpr),
    calibration: { meanPrediction: Array.from(cal.meanPrediction, nan), fractionPositive: Array.from(cal.fractionPositive, nan), weight: Array.from(cal.weight) },
  };
}
