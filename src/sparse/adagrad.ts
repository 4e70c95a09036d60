import type { AdagradConfig, RowOptimizer } from './row-optimizer.js';
import { checkUpdateArgs } from './row-optimizer.js';
import { PREFETCH_ROWS, touchRows } from './prefetch.js';
import { stageRowUpdate } from './simd/kernels.js';

/**
 * AdaGrad (Duchi, Hazan & Singer 2011), diagonal, in Keras' form. Row layout `[w (dim) | acc (dim)]`,
 * acc starts at `initialAccumulator` (TensorFlow default 0.1). For every touched coordinate:
 *
 * ```
 * g    = g + weightDecay * w          (L2 on the touched rows, as PyTorch's Adagrad weight_decay; default 0)
 * acc += g^2
 * w   -= lr * g / (sqrt(acc) + eps)
 * ```
 *
 * In float32 arithmetic, as PyTorch's and TensorFlow's kernels compute it: every operation rounded to
 * float32, in the order written above, which the SIMD kernel follows in f32x4 lanes (the same bits).
 */
export class AdagradRowOptimizer implements RowOptimizer {
  readonly type = 'adagrad';
  readonly config: AdagradConfig;

  get baseRate(): number {
    return this.config.lr;
  }

  constructor(config: AdagradConfig) {
    this.config = config;
  }

  stateWidth(dim: number): number {
    return dim;
  }

  initState(data: Float32Array, dim: number, rowStart: number, rowEnd: number): void {
    const stride = 2 * dim;
    const a0 = this.config.initialAccumulator;
    for (let r = rowStart; r < rowEnd; r++) data.fill(a0, r * stride + dim, (r + 1) * stride);
  }

  updateRows(data: Float32Array, dim: number, rows: Int32Array, count: number, grads: Float32Array, step: number, lr?: number): void {
    checkUpdateArgs(this.type, data, dim, 2 * dim, rows, count, grads, step, lr);
    const rate = lr ?? this.config.lr;
    const { eps, weightDecay } = this.config;
    // A table in a kernel memory: the SIMD kernel, the same arithmetic (simd/kernels.ts); dim-1 rows only where
    // they are in that memory already (the wide part's, `RowGradients.addWideStep`).
    const call = stageRowUpdate(data, dim, rows, count, grads, dim > 1);
    if (call !== undefined) {
      call.exports.adagrad(call.data, dim, call.rows, count, call.grads, rate, eps, weightDecay);
      return;
    }
    const f = Math.fround;
    const [rt, ep, wd] = [rate, eps, weightDecay].map(f) as [number, number, number];
    const stride = 2 * dim;
    for (let i = 0; i < count; i++) {
      if (i % PREFETCH_ROWS === 0) touchRows(data, rows, i, Math.min(count, i + PREFETCH_ROWS), stride, stride);
      const w0 = (rows[i] as number) * stride;
      const g0 = i * dim;
      for (let k = 0; k < dim; k++) {
        const wi = w0 + k;
        const ai = wi + dim;
        const w = data[wi] as number;
        const g = f((grads[g0 + k] as number) + f(wd * w));
        const acc = f((data[ai] as number) + f(g * g));
        data[ai] = acc;
        data[wi] = w - f(f(rt * g) / f(f(Math.sqrt(acc)) + ep));
      }
    }
  }
}
