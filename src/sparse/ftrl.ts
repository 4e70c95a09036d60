import type { FtrlConfig, RowOptimizer } from './row-optimizer.js';
import { checkUpdateArgs } from './row-optimizer.js';
import { PREFETCH_ROWS, touchRows } from './prefetch.js';
import { stageRowUpdate } from './simd/kernels.js';

/**
 * FTRL-Proximal, per coordinate (McMahan et al. 2013, "Ad Click Prediction: a View from the Trenches",
 * Algorithm 1). Row layout `[w (dim) | z (dim) | n (dim)]`. For every touched coordinate with gradient g:
 *
 * ```
 * sigma = (sqrt(n + g^2) - sqrt(n)) / alpha
 * z    += g - sigma * w
 * n    += g^2
 * w     = 0                                                   if |z| <= l1
 *       = -(z - sgn(z) * l1) / ((beta + sqrt(n)) / alpha + l2)  otherwise
 * ```
 *
 * L1 gives exact zeros. `lr` in `updateRows` overrides alpha for that step (a schedule), in both places
 * alpha appears. `step` is unused. Weights are stored beside z and n, so the gather never recomputes them.
 * Since w is a function of (z, n), a row's first update replaces any non-zero initial weight w0 by the closed
 * form (z picks up -sigma * w0 first, as in TensorFlow's Ftrl); FTRL tables normally start at zeros.
 * Computed in float64 (float32 loads, one rounding on store); the SIMD kernel does the same two elements at a
 * time, bit for bit.
 */
export class FtrlRowOptimizer implements RowOptimizer {
  readonly type = 'ftrl';
  readonly config: FtrlConfig;

  get baseRate(): number {
    return this.config.alpha;
  }

  constructor(config: FtrlConfig) {
    this.config = config;
  }

  stateWidth(dim: number): number {
    return 2 * dim;
  }

  initState(data: Float32Array, dim: number, rowStart: number, rowEnd: number): void {
    const stride = 3 * dim;
    const n0 = this.config.initialAccumulator;
    for (let r = rowStart; r < rowEnd; r++) {
      const z = r * stride + dim;
      data.fill(0, z, z + dim);
      data.fill(n0, z + dim, z + 2 * dim);
    }
  }

  updateRows(data: Float32Array, dim: number, rows: Int32Array, count: number, grads: Float32Array, step: number, lr?: number): void {
    checkUpdateArgs(this.type, data, dim, 3 * dim, rows, count, grads, step, lr);
    const alpha = lr ?? this.config.alpha;
    const { beta, l1, l2 } = this.config;
    // A table in a kernel memory: the SIMD kernel, the same float64 arithmetic (simd/kernels.ts); dim-1 rows only
    // where they are in that memory already (the wide part's, `RowGradients.addWideStep`).
    const call = stageRowUpdate(data, dim, rows, count, grads, dim > 1);
    if (call !== undefined) {
      call.exports.ftrl(call.data, dim, call.rows, count, call.grads, alpha, beta, l1, l2);
      return;
    }
    const stride = 3 * dim;
    for (let i = 0; i < count; i++) {
      if (i % PREFETCH_ROWS === 0) touchRows(data, rows, i, Math.min(count, i + PREFETCH_ROWS), stride, stride);
      const w0 = (rows[i] as number) * stride;
      const g0 = i * dim;
      for (let k = 0; k < dim; k++) {
        const wi = w0 + k;
        const zi = wi + dim;
        const ni = zi + dim;
        const g = grads[g0 + k] as number;
        const n = data[ni] as number;
        const nNew = n + g * g;
        const sqrtN = Math.sqrt(nNew);
        const sigma = (sqrtN - Math.sqrt(n)) / alpha;
        const z = (data[zi] as number) + g - sigma * (data[wi] as number);
        data[zi] = z;
        data[ni] = nNew;
        data[wi] = Math.abs(z) <= l1 ? 0 : -(z - (z > 0 ? l1 : -l1)) / ((beta + sqrtN) / alpha + l2);
      }
    }
  }
}
