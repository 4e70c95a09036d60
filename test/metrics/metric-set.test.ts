import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tieGroups } from '../../src/metrics/auc.js';
import { bestF1From } from '../../src/metrics/binary.js';
import {
  MetricAccumulator,
  accuracy,
  auc,
  calibration,
  evaluate,
  logLoss,
  mae,
  multiclassAccuracy,
  multiclassLogLoss,
  precisionRecallF1,
  rankingMetrics,
  rmse,
} from '../../src/metrics/index.js';
import type { MetricInput } from '../../src/metrics/index.js';
import { catchError, f32, f64 } from './helpers.js';

/** Splits [0, n) at sorted cut points. */
function pieces(n: number, cuts: readonly number[]): [number, number][] {
  const at = [0, ...cuts.map((c) => c % (n + 1)).sort((a, b) => a - b), n];
  return at.slice(1).map((end, i) => [at[i]!, end]);
}

const binaryData = fc.integer({ min: 1, max: 50 }).chain((n) =>
  fc.record({
    p: fc.array(fc.integer({ min: 0, max: 8 }).map((k) => k / 8), { minLength: n, maxLength: n }),
    y: fc.array(fc.integer({ min: 0, max: 1 }), { minLength: n, maxLength: n }),
    w: fc.array(fc.double({ min: 0.1, max: 3, noNaN: true }), { minLength: n, maxLength: n }),
    u: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: n, maxLength: n }),
    cuts: fc.array(fc.nat(), { maxLength: 4 }),
    weighted: fc.boolean(),
  }),
);

describe('evaluate', () => {
  const p = f32([0.875, 0.8125, 0.25, 0.625, 0.75, 0.125]);
  const y = f32([1, 1, 1, 0, 0, 0]);

  it('binary: every pure metric, in one plain object', () => {
    const m = evaluate('binary', { predictions: p, labels: y });
    const prf = precisionRecallF1(p, y);
    expect(m).toEqual({
      count: 6,
      weight: 6,
      auc: auc(p, y),
      logLoss: logLoss(p, y),
      accuracy: accuracy(p, y),
      precision: prf.precision,
      recall: prf.recall,
      f1: prf.f1,
      bestF1Threshold: bestF1From(tieGroups(p, y, undefined)).threshold,
      bestF1: bestF1From(tieGroups(p, y, undefined)).f1,
      calibration: calibration(p, y),
      meanPrediction: 3.4375 / 6,
      meanLabel: 0.5,
    });
    expect(m.auc).toBeCloseTo(7 / 9, 15);
    expect(JSON.parse(JSON.stringify(m))).toEqual(m);
  });

  it('binary: options and ranking metrics when users are given', () => {
    const users = Int32Array.from([1, 1, 2, 2, 1, 2]);
    const m = evaluate('binary', { predictions: p, labels: y, users }, { threshold: 0.7, k: 2 });
    expect(m.accuracy).toBe(accuracy(p, y, { threshold: 0.7 }));
    expect(m.ranking).toEqual(rankingMetrics(p, y, users, 2));
  });

  it('regression and multiclass', () => {
    const r = evaluate('regression', { predictions: f64([1, 2, 3]), labels: f64([1, 4, 0]) });
    expect(r).toEqual({ count: 3, weight: 3, rmse: rmse(f64([1, 2, 3]), f64([1, 4, 0])), mae: mae(f64([1, 2, 3]), f64([1, 4, 0])), meanPrediction: 2, meanLabel: 5 / 3 });
    const probs = f64([0.7, 0.2, 0.1, 0.1, 0.3, 0.6]);
    const labels = Int32Array.from([0, 2]);
    expect(evaluate('multiclass', { predictions: probs, labels })).toEqual({
      count: 2,
      weight: 2,
      accuracy: multiclassAccuracy(probs, labels),
      logLoss: multiclassLogLoss(probs, labels),
    });
    expect(evaluate('multiclass', { predictions: probs, labels }).accuracy).toBe(1);
  });

  it('rejects unknown kinds, unknown options and misplaced inputs', () => {
    const input = { predictions: p, labels: y };
    const kind = catchError(() => evaluate('ranking' as 'binary', input));
    expect(kind.code).toBe('CONFIG');
    expect(kind.message).toContain('binary, regression, multiclass');
    const opt = catchError(() => evaluate('binary', input, { treshold: 0.5 } as never));
    expect(opt.message).toContain('treshold');
    expect(opt.message).toContain('threshold, eps, k');
    expect(catchError(() => evaluate('regression', { ...input, users: [1, 2, 3, 4, 5, 6] })).message).toContain('users');
    expect(catchError(() => evaluate('binary', input, { k: 0 })).details.field).toBe('k');
    expect(catchError(() => evaluate('binary', { predictions: f32([0.5, 2]), labels: f32([0, 1]) })).details.field).toBe('predictions[1]');
  });
});

describe('MetricAccumulator', () => {
  it('gives exactly evaluate() of the concatenation (binary, with weights and users)', () => {
    fc.assert(
      fc.property(binaryData, ({ p, y, w, u, cuts, weighted }) => {
        const whole: MetricInput = { predictions: f32(p), labels: f32(y), users: Int32Array.from(u), ...(weighted ? { weights: f64(w) } : {}) };
        const acc = new MetricAccumulator({ kind: 'binary', k: 3 });
        for (const [a, b] of pieces(p.length, cuts)) {
          acc.add({
            predictions: f32(p.slice(a, b)),
            labels: Uint8Array.from(y.slice(a, b)),
            users: u.slice(a, b),
            ...(weighted ? { weights: f64(w.slice(a, b)) } : {}),
          });
        }
        expect(acc.result()).toEqual(evaluate('binary', whole, { k: 3 }));
      }),
      { numRuns: 200 },
    );
  });

  it('gives exactly evaluate() of the concatenation (regression and multiclass)', () => {
    const data = fc.integer({ min: 1, max: 40 }).chain((n) =>
      fc.record({
        p: fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: n, maxLength: n }),
        probs: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 3 * n, maxLength: 3 * n }),
        c: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: n, maxLength: n }),
        cuts: fc.array(fc.nat(), { maxLength: 4 }),
      }),
    );
    fc.assert(
      fc.property(data, ({ p, probs, c, cuts }) => {
        const reg = new MetricAccumulator({ kind: 'regression' });
        const mc = new MetricAccumulator({ kind: 'multiclass' });
        for (const [a, b] of pieces(p.length, cuts)) {
          reg.add({ predictions: f64(p.slice(a, b)), labels: f64(c.slice(a, b)) });
          mc.add({ predictions: f64(probs.slice(3 * a, 3 * b)), labels: Int32Array.from(c.slice(a, b)) });
        }
        expect(reg.result()).toEqual(evaluate('regression', { predictions: f64(p), labels: f64(c) }));
        expect(mc.result()).toEqual(evaluate('multiclass', { predictions: f64(probs), labels: Int32Array.from(c) }));
      }),
      { numRuns: 200 },
    );
  });

  it('copies batches, so callers may reuse their buffers', () => {
    const buf = f32([0.9, 0.1]);
    const labels = f32([1, 0]);
    const acc = new MetricAccumulator({ kind: 'binary' }).add({ predictions: buf, labels });
    buf.set([0.1, 0.9]);
    labels.set([0, 1]);
    acc.add({ predictions: buf, labels });
    expect(acc.result().auc).toBe(1);
  });

  it('skips empty batches', () => {
    const acc = new MetricAccumulator({ kind: 'binary' });
    acc.add({ predictions: f32([]), labels: f32([]) });
    expect(catchError(() => acc.result()).code).toBe('DATA');
    acc.add({ predictions: f32([0.25, 0.75]), labels: f32([0, 1]) }).add({ predictions: f32([]), labels: f32([]) });
    expect(acc.result()).toEqual(evaluate('binary', { predictions: f32([0.25, 0.75]), labels: f32([0, 1]) }));
  });

  it('resets', () => {
    const acc = new MetricAccumulator({ kind: 'regression' });
    acc.add({ predictions: f64([1]), labels: f64([3]) });
    acc.reset();
    acc.add({ predictions: f64([1]), labels: f64([2]) });
    expect(acc.result().mae).toBe(1);
  });

  it('rejects empty results, inconsistent batches and bad batches', () => {
    expect(catchError(() => new MetricAccumulator({ kind: 'binary' }).result()).message).toContain('no examples were added');
    const acc = new MetricAccumulator({ kind: 'binary' });
    acc.add({ predictions: f64([0.5]), labels: f64([1]), weights: f64([1]) });
    expect(catchError(() => acc.add({ predictions: f64([0.5]), labels: f64([1]) })).details.field).toBe('weights');
    const nan = catchError(() => acc.add({ predictions: f64([0.5, 0.2, Number.NaN]), labels: f64([1, 0, 0]), weights: f64([1, 1, 1]) }));
    expect(nan.details.field).toBe('predictions[2]');
    const mc = new MetricAccumulator({ kind: 'multiclass' });
    mc.add({ predictions: f64([0.5, 0.5]), labels: Int32Array.from([1]) });
    expect(catchError(() => mc.add({ predictions: f64([0.2, 0.3, 0.5]), labels: Int32Array.from([2]) })).code).toBe('SHAPE');
    expect(catchError(() => new MetricAccumulator({ kind: 'multiclass', numClasses: 0 })).details.field).toBe('numClasses');
  });
});
