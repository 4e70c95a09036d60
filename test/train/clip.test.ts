import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WideDeepError } from '../../src/core/errors.js';
import { clipByGlobalNorm, globalNorm } from '../../src/train/clip.js';

function catchError(fn: () => unknown): WideDeepError {
  try {
    fn();
  } catch (e) {
    if (e instanceof WideDeepError) return e;
    throw e;
  }
  throw new Error('expected a WideDeepError, nothing was thrown');
}

describe('clipByGlobalNorm', () => {
  it('scales every gradient by maxNorm / norm when the norm is too large', () => {
    const a = Float32Array.from([3]);
    const b = Float32Array.from([4]);
    expect(clipByGlobalNorm([a, b], 1)).toBe(5);
    expect(a[0]).toBeCloseTo(0.6, 7);
    expect(b[0]).toBeCloseTo(0.8, 7);
  });

  it('uses the norm over all arrays together', () => {
    const a = Float32Array.from([1, 2]);
    const b = Float32Array.from([2]);
    expect(globalNorm([a, b])).toBe(3);
    expect(clipByGlobalNorm([a, b], 1.5)).toBe(3);
    expect(Array.from(a)).toEqual([0.5, 1]);
    expect(Array.from(b)).toEqual([1]);
  });

  it('leaves gradients within the norm untouched', () => {
    const a = Float32Array.from([0.1, -0.2, 0.3]);
    const before = a.slice();
    expect(clipByGlobalNorm([a], 1)).toBeCloseTo(Math.sqrt(0.14), 7);
    expect(a).toEqual(before);
    expect(clipByGlobalNorm([], 1)).toBe(0);
    expect(clipByGlobalNorm([new Float32Array(0)], 1)).toBe(0);
  });

  it('ends at norm maxNorm with the direction kept (random gradients)', () => {
    const grads = fc.array(fc.array(fc.float({ min: -100, max: 100, noNaN: true }), { minLength: 1, maxLength: 20 }), { minLength: 1, maxLength: 5 });
    fc.assert(
      fc.property(grads, fc.double({ min: 0.01, max: 50, noNaN: true }), (gs, maxNorm) => {
        const arrays = gs.map((g) => Float32Array.from(g));
        const before = arrays.map((g) => g.slice());
        const norm = clipByGlobalNorm(arrays, maxNorm);
        expect(norm).toBeCloseTo(globalNorm(before), 9);
        const scale = norm > maxNorm ? maxNorm / norm : 1;
        expect(globalNorm(arrays)).toBeCloseTo(Math.min(norm, maxNorm), 4);
        arrays.forEach((g, a) => g.forEach((x, i) => expect(x).toBeCloseTo(before[a]![i]! * scale, 4)));
      }),
      { numRuns: 200 },
    );
  });

  it('names a NaN or infinite gradient', () => {
    const e = catchError(() => clipByGlobalNorm([Float32Array.from([1]), Float32Array.from([0, 2, Number.NaN])], 1));
    expect(e.code).toBe('DATA');
    expect(e.details.field).toBe('grads[1][2]');
    expect(catchError(() => clipByGlobalNorm([Float32Array.from([Infinity])], 1)).details.field).toBe('grads[0][0]');
  });

  it('rejects a bad maxNorm', () => {
    for (const m of [0, -1, Infinity, Number.NaN]) {
      expect(catchError(() => clipByGlobalNorm([Float32Array.from([1])], m)).details.field).toBe('maxNorm');
    }
  });
});
