import { describe, expect, it } from 'vitest';
import { rocOnGrid, trialCurves } from '../../src/experiments/curves.js';
import { auc } from '../../src/metrics/index.js';

describe('compact curves for results lines', () => {
  it('ROC on a fixed FPR grid: vertical steps keep their top, slopes interpolate', () => {
    // (0,0) -> (0,0.5) -> (0.5,0.5) -> (1,1)
    const g = rocOnGrid([0, 0, 0.5, 1], [0, 0.5, 0.5, 1], 4);
    expect(g.fpr).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(g.tpr).toEqual([0.5, 0.5, 0.5, 0.75, 1]);
  });

  it('the area under the grid curve is close to the AUC; calibration bins hold every row', () => {
    const n = 2000;
    const p = new Float32Array(n);
    const y = new Float32Array(n);
    let s = 12345;
    const rand = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
    for (let i = 0; i < n; i++) {
      p[i] = rand();
      y[i] = rand() < p[i]! ? 1 : 0;
    }
    const c = trialCurves({ prediction: p, logit: p, labels: y })!;
    let area = 0;
    for (let i = 1; i < c.roc.fpr.length; i++) area += ((c.roc.fpr[i]! - c.roc.fpr[i - 1]!) * (c.roc.tpr[i]! + c.roc.tpr[i - 1]!)) / 2;
    expect(area).toBeCloseTo(auc(p, y), 2);
    expect(c.calibration.weight.reduce((a, b) => a + b, 0)).toBe(n);
    expect(c.calibration.meanPrediction).toHaveLength(10);
  });

  it('one-class test sets have no curves', () => {
    expect(trialCurves({ prediction: new Float32Array([0.2, 0.4]), logit: new Float32Array(2), labels: new Float32Array([1, 1]) })).toBeNull();
  });
});
