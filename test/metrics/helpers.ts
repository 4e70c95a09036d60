import { WideDeepError } from '../../src/core/errors.js';

/** Runs `fn` and returns the WideDeepError it throws; fails the test when it throws nothing or something else. */
export function catchError(fn: () => unknown): WideDeepError {
  try {
    fn();
  } catch (e) {
    if (e instanceof WideDeepError) return e;
    throw e;
  }
  throw new Error('expected a WideDeepError, nothing was thrown');
}

export const f64 = (xs: readonly number[]): Float64Array => Float64Array.from(xs);
export const f32 = (xs: readonly number[]): Float32Array => Float32Array.from(xs);
