import type { FittedNumeric } from './fitted-spec.js';
import { preNormalize } from './numeric.js';
import type { ResolvedNumeric } from './resolved.js';

/**
 * Numbers enter the model as float32: the dense block, labels and example weights are Float32Arrays. A value
 * finite in float64 (a JSON number, DuckDB's DOUBLE) can still be Infinity there (|x| >= 2^128 - 2^103, about
 * 3.4028236e38), or become one through a numeric column's transform (standardizing with a small std). The row
 * checks use these helpers to refuse such values before anything is written, as they refuse Infinity itself.
 */

/** Whether `x` is finite once stored in a Float32Array. */
export function finiteInFloat32(x: number): boolean {
  const f = Math.fround(x);
  return f - f === 0;
}

/**
 * What a numeric column writes into the dense block for a present value, in float64 before the float32 store
 * (encodeNumeric's steps: clip, log1p, normalize), as far as it is known: null when the output is in [0, 1]
 * whatever the value (quantile normalization) or not known yet (standardization before fit).
 */
export function numericOutput(c: ResolvedNumeric | FittedNumeric): ((x: number) => number) | null {
  const { clip, log1p } = c;
  const kind = typeof c.normalize === 'string' ? c.normalize : c.normalize.kind;
  if (kind === 'none') return (x) => preNormalize(x, clip, log1p);
  if (typeof c.normalize === 'string' || c.normalize.kind !== 'standardize') return null;
  const { mean, std } = c.normalize;
  return (x) => (preNormalize(x, clip, log1p) - mean) / std;
}

/**
 * Values [lo, hi] whose outputs under `f` are surely finite in float32, so that a row check compares each value
 * instead of transforming it. Every step of `f` (clip, log1p, x - mean, / std with std > 0, the float32
 * rounding) is non-decreasing, so finite outputs at lo and hi bound the output of every value between. lo and
 * hi are 0 or +/-2^k, found by bisecting k; an empty range (lo > hi) when even 0 overflows.
 */
export function finiteRange(f: (x: number) => number): { lo: number; hi: number } {
  if (!finiteInFloat32(f(0))) return { lo: Infinity, hi: -Infinity };
  return { lo: widest(f, -1), hi: widest(f, 1) };
}

/** The largest sign * 2^k (k in [-1, 1023]) with a finite output, or 0. */
function widest(f: (x: number) => number, sign: 1 | -1): number {
  if (!finiteInFloat32(f(sign * 0.5))) return 0;
  // Finite outputs hold for k = -1 and, f being monotone, for every k up to some K: bisect for K.
  let good = -1;
  let bad = 1024;
  while (bad - good > 1) {
    const k = (good + bad) >> 1;
    if (finiteInFloat32(f(sign * 2 ** k))) good = k;
    else bad = k;
  }
  return sign * 2 ** good;
}
