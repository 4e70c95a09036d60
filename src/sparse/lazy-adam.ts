import type { LazyAdamConfig, RowOptimizer } from './row-optimizer.js';
import { checkUpdateArgs } from './row-optimizer.js';
import { PREFETCH_ROWS, touchRows } from './prefetch.js';
import { stageRowUpdate } from './simd/kernels.js';

/**
 * Lazy Adam (TensorFlow's LazyAdamOptimizer, PyTorch's SparseAdam): Adam (Kingma & Ba 2015, Algorithm 1)
 * where only the touched rows update their moments; untouched rows keep m and v as they are (no decay).
 * Row layout `[w (dim) | m (dim) | v (dim)]`, m and v start at 0. With the global 1-based step t:
 *
 * ```
 * g  = g + weightDecay * w          (L2 on the touched rows, as PyTorch's Adam weight_decay; default 0)
 * m  = beta1 * m + (1 - beta1) * g
 * v  = beta2 * v + (1 - beta2) * g^2
 * w -= lr * (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps)
 * ```
 *
 * eps sits outside the bias correction, as in the paper and PyTorch (TensorFlow puts it inside: its
 * "epsilon hat"; the two differ only when sqrt(v) is comparable to eps). In float32 arithmetic, as PyTorch's
 * SparseAdam and TensorFlow's kernels compute it: every operation rounded to float32, in the order written
 * below, which the SIMD kernel follows in f32x4 lanes (the same bits, at 4 elements an instruction).
 */
export class LazyAdamRowOptimizer implements RowOptimizer {
  readonly type = 'lazy-adam';
  readonly config: LazyAdamConfig;

  get baseRate(): number {
    return this.config.lr;
  }

  constructor(config: LazyAdamConfig) {
    this.config = config;
  }

  stateWidth(dim: number): number {
    return 2 * dim;
  }

  initState(data: Float32Array, dim: number, rowStart: number, rowEnd: number): void {
    const stride = 3 * dim;
    for (let r = rowStart; r < rowEnd; r++) data.fill(0, r * stride + dim, (r + 1) * stride);
  }

  updateRows(data: Float32Array, dim: number, rows: Int32Array, count: number, grads: Float32Array, step: number, lr?: number): void {
    checkUpdateArgs(this.type, data, dim, 3 * dim, rows, count, grads, step, lr);
    const { beta1, beta2, eps, weightDecay } = this.config;
    // The step's two scalars are read back from a Float64Array, not used as Math.pow left them: then V8
    // (Node 20, x64) compiles the loop below to 15-19 ns an element of CPU instead of 5 (bench/row-optimizer-case.ts,
    // BENCHMARKS.md "Lazy Adam's loop"), the loop running at the latency of its sqrt and division.
    const scalars = Float64Array.of((lr ?? this.config.lr) / (1 - Math.pow(beta1, step)), 1 / Math.sqrt(1 - Math.pow(beta2, step)));
    const stepSize = scalars[0] as number;
    const invSqrtBc2 = scalars[1] as number;
    const c1 = 1 - beta1;
    const c2 = 1 - beta2;
    // A table in a kernel memory: the SIMD kernel, the same arithmetic (simd/kernels.ts); dim-1 rows only where
    // they are in that memory already (the wide part's, `RowGradients.addWideStep`).
    const call = stageRowUpdate(data, dim, rows, count, grads, dim > 1);
    if (call !== undefined) {
      call.exports.lazyAdam(call.data, dim, call.rows, count, call.grads, beta1, beta2, c1, c2, eps, weightDecay, stepSize, invSqrtBc2);
      return;
    }
    const f = Math.fround;
    const [b1, b2, k1, k2, ep, wd, ss, ib] = [beta1, beta2, c1, c2, eps, weightDecay, stepSize, invSqrtBc2].map(f) as [number, number, number, number, number, number, number, number];
    const stride = 3 * dim;
    for (let i = 0; i < count; i++) {
      if (i % PREFETCH_ROWS === 0) touchRows(data, rows, i, Math.min(count, i + PREFETCH_ROWS), stride, stride);
      const w0 = (rows[i] as number) * stride;
      const g0 = i * dim;
      for (let k = 0; k < dim; k++) {
        const wi = w0 + k;
        const mi = wi + dim;
        const vi = mi + dim;
        const w = data[wi] as number;
        const g = f((grads[g0 + k] as number) + f(wd * w));
        const m = f(f(b1 * (data[mi] as number)) + f(k1 * g));
        const v = f(f(b2 * (data[vi] as number)) + f(f(k2 * g) * g));
        data[mi] = m;
        data[vi] = v;
        data[wi] = w - f(f(ss * m) / f(f(f(Math.sqrt(v)) * ib) + ep));
      }
    }
  }
}
