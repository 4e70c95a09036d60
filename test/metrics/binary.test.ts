import { describe, expect, it } from 'vitest';
import { accuracy, calibration, calibrationCurve, logLoss, precisionRecallF1 } from '../../src/metrics/index.js';
import { catchError, f32, f64 } from './helpers.js';

describe('logLoss', () => {
  it('matches hand-computed values', () => {
    // -(ln 0.9 + ln 0.8) / 2
    expect(logLoss(f64([0.9, 0.2]), f64([1, 0]))).toBeCloseTo(0.164252033486018, 14);
    // weighted: -(1 * ln 0.9 + 3 * ln 0.8) / 4
    expect(logLoss(f64([0.9, 0.2]), f64([1, 0]), { weights: f64([1, 3]) })).toBeCloseTo(0.193697792400114, 13);
  });

  it('clips to [eps, 1 - eps]', () => {
    expect(logLoss(f64([0]), f64([1]))).toBeCloseTo(-Math.log(1e-7), 12);
    expect(logLoss(f64([1]), f64([0]), { eps: 1e-3 })).toBeCloseTo(-Math.log(1e-3), 12);
    expect(logLoss(f64([1, 0]), f64([1, 0]))).toBeCloseTo(-Math.log(1 - 1e-7), 12);
  });

  it('rejects non-probabilities, bad eps and zero total weight', () => {
    const e = catchError(() => logLoss(f64([0.5, 1.5]), f64([1, 0])));
    expect(e.code).toBe('DATA');
    expect(e.details.field).toBe('predictions[1]');
    expect(catchError(() => logLoss(f32([0.5, Number.NaN]), f64([1, 0]))).message).toContain('predictions[1]');
    expect(catchError(() => logLoss(f64([0.5]), f64([1]), { eps: 0 })).code).toBe('CONFIG');
    expect(catchError(() => logLoss(f64([0.5]), f64([1]), { weights: f64([0]) })).message).toContain('all weights are 0');
  });
});

describe('accuracy / precision / recall / F1', () => {
  const p = f64([0.9, 0.8, 0.3, 0.6, 0.7, 0.2]);
  const y = f64([1, 1, 1, 0, 0, 0]);

  it('at the default threshold 0.5 (tp 2, fn 1, fp 2, tn 1)', () => {
    expect(accuracy(p, y)).toBeCloseTo(0.5, 15);
    const r = precisionRecallF1(p, y);
    expect(r.precision).toBeCloseTo(0.5, 15);
    expect(r.recall).toBeCloseTo(2 / 3, 15);
    expect(r.f1).toBeCloseTo(4 / 7, 15);
  });

  it('at threshold 0.75 (tp 2, fn 1, fp 0, tn 3)', () => {
    expect(accuracy(p, y, { threshold: 0.75 })).toBeCloseTo(5 / 6, 15);
    expect(precisionRecallF1(p, y, { threshold: 0.75 })).toEqual({ precision: 1, recall: 2 / 3, f1: 0.8 });
  });

  it('counts prediction == threshold as positive', () => {
    expect(accuracy(f64([0.5, 0.5]), f64([1, 0]))).toBe(0.5);
    expect(precisionRecallF1(f64([0.5]), f64([1])).recall).toBe(1);
  });

  it('weights examples', () => {
    // correct: 0.9 (w 2), 0.2 (w 1); wrong: 0.6 (w 1) -> 3/4
    expect(accuracy(f64([0.9, 0.6, 0.2]), f64([1, 0, 0]), { weights: f64([2, 1, 1]) })).toBe(0.75);
  });

  it('uses 0 for zero divisions', () => {
    expect(precisionRecallF1(f64([0.1, 0.2]), f64([1, 0]))).toEqual({ precision: 0, recall: 0, f1: 0 });
    expect(precisionRecallF1(f64([0.9, 0.2]), f64([0, 0]))).toEqual({ precision: 0, recall: 0, f1: 0 });
  });

  it('accepts logits with a threshold of 0', () => {
    expect(accuracy(f64([-2, 3, 0.5]), f64([0, 1, 0]), { threshold: 0 })).toBeCloseTo(2 / 3, 15);
  });

  it('rejects bad thresholds and labels', () => {
    expect(catchError(() => accuracy(p, y, { threshold: Number.NaN })).code).toBe('CONFIG');
    expect(catchError(() => accuracy(f64([0.1]), f64([0.5]))).details.field).toBe('labels[0]');
    expect(catchError(() => precisionRecallF1(f64([0.1, Number.NaN]), f64([0, 1]))).details.field).toBe('predictions[1]');
  });
});

describe('calibration', () => {
  it('is mean prediction / mean label', () => {
    expect(calibration(f64([0.2, 0.4, 0.6]), f64([0, 1, 0]))).toBeCloseTo(1.2, 14);
    // weighted: (1*0.2 + 3*0.6) / 4 over (3*1) / 4
    expect(calibration(f64([0.2, 0.6]), f64([0, 1]), { weights: f64([1, 3]) })).toBeCloseTo(2 / 3, 14);
  });

  it('is NaN without positives', () => {
    expect(calibration(f64([0.2]), f64([0]))).toBeNaN();
  });
});

describe('calibrationCurve', () => {
  it('bins predictions into equal-width bins, 1.0 in the last', () => {
    const c = calibrationCurve(f64([0.1, 0.3, 0.5, 0.9, 1.0]), f64([0, 1, 0, 1, 1]), { bins: 2 });
    expect(Array.from(c.edges)).toEqual([0, 0.5, 1]);
    expect(Array.from(c.weight)).toEqual([2, 3]);
    expect(c.meanPrediction[0]).toBeCloseTo(0.2, 15);
    expect(c.meanPrediction[1]).toBeCloseTo(0.8, 15);
    expect(c.fractionPositive[0]).toBeCloseTo(0.5, 15);
    expect(c.fractionPositive[1]).toBeCloseTo(2 / 3, 15);
    // 2/5 * |0.2 - 0.5| + 3/5 * |0.8 - 2/3|
    expect(c.expectedCalibrationError).toBeCloseTo(0.2, 14);
  });

  it('reports empty bins as weight 0 with NaN means', () => {
    const c = calibrationCurve(f64([0.05, 0.95]), f64([0, 1]), { bins: 10 });
    expect(c.weight[5]).toBe(0);
    expect(c.meanPrediction[5]).toBeNaN();
    expect(c.weight[0]).toBe(1);
    expect(c.weight[9]).toBe(1);
    expect(c.expectedCalibrationError).toBeCloseTo(0.05, 14);
  });

  it('rejects a bad bin count', () => {
    expect(catchError(() => calibrationCurve(f64([0.1]), f64([0]), { bins: 0 })).code).toBe('CONFIG');
    expect(catchError(() => calibrationCurve(f64([0.1]), f64([0]), { bins: 2.5 })).details.field).toBe('bins');
  });
});
