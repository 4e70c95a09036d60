import { describe, expect, it } from 'vitest';
import { prOnGrid, rocOnGrid, scoreHistogram, trialCurves } from '../../src/experiments/curves.js';
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

  it('PR curve: precision and recall at each distinct threshold, average precision and the grid, as counted directly', () => {
    // A hand-made example with ties (0.7 holds a positive and a negative), then random scores with many ties.
    const cases: [number[], number[]][] = [[[0.9, 0.8, 0.7, 0.7, 0.6, 0.3, 0.2], [1, 0, 1, 0, 1, 0, 0]]];
    let s = 99;
    const rand = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const p: number[] = [];
    const y: number[] = [];
    for (let i = 0; i < 300; i++) {
      p.push(Math.round(rand() * 40) / 40);
      y.push(rand() < p[i]! ? 1 : 0);
    }
    cases.push([p, y]);
    for (const [pred, lab] of cases) {
      const ref = directPr(pred, lab);
      const got = prOnGrid(Float64Array.from(pred), Float64Array.from(lab), 20);
      expect(got.averagePrecision).toBeCloseTo(ref.ap, 12);
      expect(got.recall).toEqual(Array.from({ length: 21 }, (_, g) => g / 20));
      got.recall.forEach((r, g) => expect(got.precision[g]).toBeCloseTo(ref.interpolated(r), 12));
    }
  });

  it('score histogram and calibration bins count every row where its prediction falls', () => {
    const pred = [0, 0.04, 0.05, 0.049, 0.5, 0.51, 0.95, 0.999, 1, 0.3];
    const lab = [0, 1, 0, 0, 1, 1, 1, 0, 1, 0];
    const h = scoreHistogram(Float64Array.from(pred), Float64Array.from(lab), 20);
    for (let b = 0; b < 20; b++) {
      const inBin = pred.map((v, i) => [v, lab[i]!] as const).filter(([v]) => (v >= b / 20 && v < (b + 1) / 20) || (b === 19 && v === 1));
      expect(h.positives[b]).toBe(inBin.filter(([, l]) => l === 1).length);
      expect(h.negatives[b]).toBe(inBin.filter(([, l]) => l === 0).length);
    }
    const c = trialCurves({ prediction: Float32Array.from(pred), logit: new Float32Array(pred.length), labels: Float32Array.from(lab) })!;
    for (let b = 0; b < 10; b++) expect(c.calibration.weight[b]).toBe(pred.filter((v) => Math.fround(v) >= b / 10 && (Math.fround(v) < (b + 1) / 10 || (b === 9 && v === 1))).length);
    expect(c.histogram!.positives.reduce((a, x) => a + x, 0)).toBe(lab.filter((l) => l === 1).length);
    expect(c.pr!.recall).toHaveLength(101);
  });
});

/** Precision and recall counted at every distinct threshold (O(n^2)), the AP sum and interpolated precision. */
function directPr(p: number[], y: number[]): { ap: number; interpolated: (r: number) => number } {
  const positives = y.filter((l) => l === 1).length;
  const thresholds = [...new Set(p)].sort((a, b) => b - a);
  const points = thresholds.map((t) => {
    const tp = p.filter((v, i) => v >= t && y[i] === 1).length;
    const fp = p.filter((v, i) => v >= t && y[i] === 0).length;
    return { recall: tp / positives, precision: tp / (tp + fp) };
  });
  let ap = 0;
  let before = 0;
  for (const q of points) {
    ap += (q.recall - before) * q.precision;
    before = q.recall;
  }
  return { ap, interpolated: (r) => Math.max(...points.filter((q) => q.recall >= r).map((q) => q.precision)) };
}
