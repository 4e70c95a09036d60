import { describe, expect, it } from 'vitest';
import { mae, multiclassAccuracy, multiclassLogLoss, rmse } from '../../src/metrics/index.js';
import { catchError, f32, f64 } from './helpers.js';

describe('rmse / mae', () => {
  // errors 0, -2, 3
  const p = f64([1, 2, 3]);
  const y = f64([1, 4, 0]);

  it('matches hand-computed values', () => {
    expect(rmse(p, y)).toBeCloseTo(Math.sqrt(13 / 3), 14);
    expect(mae(p, y)).toBeCloseTo(5 / 3, 14);
  });

  it('weights examples', () => {
    const weights = f64([1, 1, 2]);
    expect(rmse(p, y, { weights })).toBeCloseTo(Math.sqrt(22 / 4), 14);
    expect(mae(p, y, { weights })).toBeCloseTo(2, 14);
  });

  it('accepts integer labels', () => {
    expect(mae(f32([1.5, 2]), Int32Array.from([1, 3]))).toBeCloseTo(0.75, 7);
  });

  it('rejects non-finite values and mismatched lengths', () => {
    expect(catchError(() => rmse(f64([1, Infinity]), f64([1, 2]))).details.field).toBe('predictions[1]');
    expect(catchError(() => mae(f64([1, 2]), f64([Number.NaN, 2]))).details.field).toBe('labels[0]');
    expect(catchError(() => mae(f64([1, 2]), f64([1]))).code).toBe('SHAPE');
    expect(catchError(() => mae(f64([]), f64([]))).code).toBe('DATA');
  });
});

describe('multi-class accuracy / log loss', () => {
  // rows: arg-max 0, 2, 0 (0.4 = 0.4 tie goes to the lower index)
  const probs = f64([0.7, 0.2, 0.1, 0.1, 0.3, 0.6, 0.4, 0.4, 0.2]);
  const labels = Int32Array.from([0, 1, 1]);

  it('matches hand-computed values', () => {
    expect(multiclassAccuracy(probs, labels)).toBeCloseTo(1 / 3, 15);
    expect(multiclassLogLoss(probs, labels)).toBeCloseTo(-(Math.log(0.7) + Math.log(0.3) + Math.log(0.4)) / 3, 14);
    expect(multiclassLogLoss(probs, labels, { numClasses: 3 })).toBeCloseTo(0.825646160046274, 14);
  });

  it('weights rows and clips', () => {
    expect(multiclassAccuracy(probs, labels, { weights: f64([3, 1, 0]) })).toBeCloseTo(0.75, 15);
    expect(multiclassLogLoss(f64([1, 0]), Int32Array.from([1]))).toBeCloseTo(-Math.log(1e-7), 12);
  });

  it('rejects a block that does not fit the labels', () => {
    const e = catchError(() => multiclassAccuracy(f64([0.5, 0.5, 1]), Int32Array.from([0, 1])));
    expect(e.code).toBe('SHAPE');
    expect(catchError(() => multiclassAccuracy(probs, labels, { numClasses: 4 })).code).toBe('SHAPE');
    expect(catchError(() => multiclassAccuracy(probs, Int32Array.from([0, 3, 1]))).details.field).toBe('labels[1]');
    expect(catchError(() => multiclassAccuracy(probs, f64([0, 1.5, 1]))).details.field).toBe('labels[1]');
    expect(catchError(() => multiclassLogLoss(f64([0.5, Number.NaN]), Int32Array.from([0]))).details.field).toBe('probabilities[1]');
    expect(catchError(() => multiclassLogLoss(f64([]), Int32Array.from([]))).code).toBe('DATA');
  });
});
