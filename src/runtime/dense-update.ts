import type { DenseOptimizerResolved } from '../graph/optimizers.js';

/** The float arrays an update works on: Float32Array in training, Float64Array in the tests' float64 runs. */
export type DenseArray = Float32Array | Float64Array;

/** Rounds each result to the arrays' precision: Math.fround for float32, the identity for float64. */
export type Round = (x: number) => number;

/** An update's scalars, each rounded once to the arrays' precision (the training graph fed them as float32). */
export interface UpdateScalars {
  readonly lr: number;
  readonly wd: number;
  /** sgd: momentum; adagrad: eps; adam: the bias-corrected eps. */
  readonly a: number;
  /** adam: beta1, 1 - beta1, beta2, 1 - beta2. */
  readonly b1: number;
  readonly k1: number;
  readonly b2: number;
  readonly k2: number;
}

/**
 * The scalars of one update of a parameter of optimizer `c`: `hyper` is `hyperValuesOf(c, step, lr)` (the
 * learning rate and, for Adam, eps with the bias corrections folded in).
 */
export function updateScalars(c: DenseOptimizerResolved, hyper: Readonly<Record<string, number>>, round: Round = Math.fround): UpdateScalars {
  const lr = round(hyper.lr as number);
  const wd = round(c.weightDecay);
  if (c.type === 'sgd') return { lr, wd, a: round(c.momentum), b1: 0, k1: 0, b2: 0, k2: 0 };
  if (c.type === 'adagrad') return { lr, wd, a: round(c.eps), b1: 0, k1: 0, b2: 0, k2: 0 };
  return { lr, wd, a: round(hyper.eps as number), b1: round(c.beta1), k1: round(1 - c.beta1), b2: round(c.beta2), k2: round(1 - c.beta2) };
}

/**
 * Updates parameter `p` and its `slots` in place from gradient `g` (PyTorch's forms):
 * - sgd:     v = mu v + g;  p -= lr v   (p -= lr g without momentum)
 * - adagrad: a = a + g^2;   p -= lr g / (sqrt(a) + eps)
 * - adam:    m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;  p -= lr_t m / (sqrt(v) + eps_t)
 * where g includes weightDecay * p when that is not 0, and lr_t, eps_t carry Adam's bias corrections
 * (`hyperValuesOf`). Every operation is rounded to the arrays' precision, in this order: with `Math.fround` the
 * result is IEEE float32 arithmetic bit for bit (a float32 sum, product, quotient or square root computed in
 * doubles and rounded once is the correctly rounded float32 result), which is what the SIMD kernels
 * (wasm/dense-kernels.ts) compute. The reference for them, and the path where WebAssembly SIMD is missing.
 */
export function updateDense(c: DenseOptimizerResolved, s: UpdateScalars, p: DenseArray, g: DenseArray, slots: readonly DenseArray[], round: Round = Math.fround): void {
  const f = round;
  const n = p.length;
  const { lr, wd } = s;
  if (c.type === 'sgd' && slots.length === 0) {
    for (let i = 0; i < n; i++) {
      const pi = p[i] as number;
      const gi = wd !== 0 ? f((g[i] as number) + f(pi * wd)) : (g[i] as number);
      p[i] = f(pi - f(gi * lr));
    }
  } else if (c.type === 'sgd') {
    const v = slots[0] as DenseArray;
    for (let i = 0; i < n; i++) {
      const pi = p[i] as number;
      const gi = wd !== 0 ? f((g[i] as number) + f(pi * wd)) : (g[i] as number);
      const vi = f(f((v[i] as number) * s.a) + gi);
      v[i] = vi;
      p[i] = f(pi - f(vi * lr));
    }
  } else if (c.type === 'adagrad') {
    const a = slots[0] as DenseArray;
    for (let i = 0; i < n; i++) {
      const pi = p[i] as number;
      const gi = wd !== 0 ? f((g[i] as number) + f(pi * wd)) : (g[i] as number);
      const ai = f((a[i] as number) + f(gi * gi));
      a[i] = ai;
      p[i] = f(pi - f(f(gi * lr) / f(f(Math.sqrt(ai)) + s.a)));
    }
  } else {
    const m = slots[0] as DenseArray;
    const v = slots[1] as DenseArray;
    const { b1, k1, b2, k2 } = s;
    const eps = s.a;
    for (let i = 0; i < n; i++) {
      const pi = p[i] as number;
      const gi = wd !== 0 ? f((g[i] as number) + f(pi * wd)) : (g[i] as number);
      const mi = f(f((m[i] as number) * b1) + f(gi * k1));
      const vi = f(f((v[i] as number) * b2) + f(f(gi * gi) * k2));
      m[i] = mi;
      v[i] = vi;
      p[i] = f(pi - f(f(mi * lr) / f(f(Math.sqrt(vi)) + eps)));
    }
  }
}
