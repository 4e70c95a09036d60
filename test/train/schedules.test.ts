import { describe, expect, it } from 'vitest';
import { WideDeepError } from '../../src/core/errors.js';
import { type Schedule, SCHEDULE_KINDS, lrAt, parseSchedule } from '../../src/train/schedules.js';

function catchError(fn: () => unknown): WideDeepError {
  try {
    fn();
  } catch (e) {
    if (e instanceof WideDeepError) return e;
    throw e;
  }
  throw new Error('expected a WideDeepError, nothing was thrown');
}

const lrs = (s: Schedule, baseLr: number, steps: readonly number[], total: number): number[] => steps.map((t) => lrAt(s, baseLr, t, total));

describe('lrAt', () => {
  it('constant', () => {
    expect(lrs({ kind: 'constant' }, 0.1, [0, 5, 99, 500], 100)).toEqual([0.1, 0.1, 0.1, 0.1]);
  });

  it('step decay: baseLr * gamma ^ floor(step / stepSize)', () => {
    const got = lrs({ kind: 'step', stepSize: 3, gamma: 0.5 }, 0.8, [0, 1, 2, 3, 5, 6, 9], 100);
    expect(got).toEqual([0.8, 0.8, 0.8, 0.4, 0.4, 0.2, 0.1]);
  });

  it('exponential: baseLr * gamma ^ (step / decaySteps)', () => {
    const s: Schedule = { kind: 'exponential', gamma: 0.9 };
    expect(lrAt(s, 1, 0, 100)).toBe(1);
    expect(lrAt(s, 1, 2, 100)).toBeCloseTo(0.81, 15);
    expect(lrAt(s, 2, 3, 100)).toBeCloseTo(1.458, 15);
    const slow: Schedule = { kind: 'exponential', gamma: 0.9, decaySteps: 10 };
    expect(lrAt(slow, 1, 5, 100)).toBeCloseTo(0.9486832980505138, 15);
    expect(lrAt(slow, 1, 20, 100)).toBeCloseTo(0.81, 15);
  });

  it('cosine: from baseLr down to minLr over totalSteps, then flat', () => {
    const s: Schedule = { kind: 'cosine', minLr: 0.1 };
    expect(lrAt(s, 1, 0, 10)).toBe(1);
    expect(lrAt(s, 1, 5, 10)).toBeCloseTo(0.55, 15);
    // step 2 of 8: 0.1 + 0.9 * (1 + cos(pi / 4)) / 2
    expect(lrAt(s, 1, 2, 8)).toBeCloseTo(0.868198051533946, 14);
    expect(lrAt(s, 1, 10, 10)).toBeCloseTo(0.1, 15);
    expect(lrAt(s, 1, 25, 10)).toBeCloseTo(0.1, 15);
    expect(lrAt({ kind: 'cosine' }, 2, 5, 10)).toBeCloseTo(1, 15);
  });

  it('linear warm-up composes with step decay: (step + 1) / W, then the decay on a shifted clock', () => {
    const s: Schedule = { kind: 'step', stepSize: 2, gamma: 0.5, warmupSteps: 4 };
    const got = lrs(s, 0.8, [0, 1, 2, 3, 4, 5, 6, 8], 100);
    expect(got.map((x) => Number(x.toFixed(12)))).toEqual([0.2, 0.4, 0.6, 0.8, 0.8, 0.8, 0.4, 0.2]);
  });

  it('linear warm-up composes with cosine: the decay spans totalSteps - W', () => {
    const s: Schedule = { kind: 'cosine', warmupSteps: 2 };
    expect(lrAt(s, 1, 0, 6)).toBe(0.5);
    expect(lrAt(s, 1, 1, 6)).toBe(1);
    expect(lrAt(s, 1, 2, 6)).toBe(1);
    expect(lrAt(s, 1, 4, 6)).toBeCloseTo(0.5, 15);
    expect(lrAt(s, 1, 6, 6)).toBeCloseTo(0, 15);
  });

  it('linear warm-up composes with constant and exponential', () => {
    expect(lrs({ kind: 'constant', warmupSteps: 5 }, 1, [0, 4, 5], 10)).toEqual([0.2, 1, 1]);
    const e: Schedule = { kind: 'exponential', gamma: 0.5, warmupSteps: 3 };
    expect(lrs(e, 0.9, [0, 2, 3, 4, 5], 10).map((x) => Number(x.toFixed(12)))).toEqual([0.3, 0.9, 0.9, 0.45, 0.225]);
  });

  it('rejects bad arguments', () => {
    const s: Schedule = { kind: 'constant' };
    expect(catchError(() => lrAt(s, 0.1, -1, 10)).details.field).toBe('step');
    expect(catchError(() => lrAt(s, 0.1, 1.5, 10)).details.field).toBe('step');
    expect(catchError(() => lrAt(s, 0.1, 0, 0)).details.field).toBe('totalSteps');
    expect(catchError(() => lrAt(s, Number.NaN, 0, 10)).details.field).toBe('baseLr');
    expect(catchError(() => lrAt({ kind: 'cosine', minLr: 0.5 }, 0.1, 0, 10)).details.field).toBe('schedule.minLr');
    expect(catchError(() => lrAt({ kind: 'cosine', warmupSteps: 10 }, 0.1, 0, 10)).details.field).toBe('schedule.warmupSteps');
    expect(catchError(() => lrAt({ kind: 'step', stepSize: 0, gamma: 0.5 }, 0.1, 0, 10)).code).toBe('CONFIG');
  });
});

describe('parseSchedule', () => {
  it('round-trips every kind through JSON', () => {
    const all: Schedule[] = [
      { kind: 'constant' },
      { kind: 'step', stepSize: 10, gamma: 0.1, warmupSteps: 5 },
      { kind: 'exponential', gamma: 0.96, decaySteps: 1000 },
      { kind: 'cosine', minLr: 1e-5, warmupSteps: 100 },
    ];
    expect(all.map((s) => s.kind)).toEqual([...SCHEDULE_KINDS]);
    for (const s of all) expect(parseSchedule(JSON.parse(JSON.stringify(s)))).toEqual(s);
  });

  it('lists the valid keys on an unknown key', () => {
    const e = catchError(() => parseSchedule({ kind: 'step', stepSize: 10, gama: 0.5 }));
    expect(e.code).toBe('CONFIG');
    expect(e.details.field).toBe('schedule.gama');
    expect(e.message).toContain('unknown key(s) gama');
    expect(e.message).toContain('kind, stepSize, gamma, warmupSteps');
  });

  it('lists the valid kinds on an unknown kind', () => {
    const e = catchError(() => parseSchedule({ kind: 'linear' }, 'optimizers.deep.schedule'));
    expect(e.details.field).toBe('optimizers.deep.schedule.kind');
    expect(e.message).toContain('constant, step, exponential, cosine');
    expect(catchError(() => parseSchedule(null)).details.field).toBe('schedule.kind');
    expect(catchError(() => parseSchedule('cosine')).code).toBe('CONFIG');
  });

  it('names the field of a bad value', () => {
    expect(catchError(() => parseSchedule({ kind: 'step', stepSize: 2, gamma: 1.5 })).details.field).toBe('schedule.gamma');
    expect(catchError(() => parseSchedule({ kind: 'step', gamma: 0.5 })).details.field).toBe('schedule.stepSize');
    expect(catchError(() => parseSchedule({ kind: 'constant', warmupSteps: -1 })).details.field).toBe('schedule.warmupSteps');
    expect(catchError(() => parseSchedule({ kind: 'cosine', minLr: -1 })).details.field).toBe('schedule.minLr');
  });
});
