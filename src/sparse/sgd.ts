import type { RowOptimizer, SgdConfig } from './row-optimizer.js';
import { checkUpdateArgs } from './row-optimizer.js';
import { PREFETCH_ROWS, touchRows } from './prefetch.js';

/**
 * Plain SGD on the touched rows: `w -= lr * (g + weightDecay * w)`. No state: row layout `[w (dim)]`.
 * Weight decay applies only when a row is touched (lazily), like every other row optimizer here.
 */
export class SgdRowOptimizer implements RowOptimizer {
  readonly type = 'sgd';
  readonly config: SgdConfig;

  get baseRate(): number {
    return this.config.lr;
  }

  constructor(config: SgdConfig) {
    this.config = config;
  }

  stateWidth(_dim: number): number {
    return 0;
  }

  initState(_data: Float32Array, _dim: number, _rowStart: number, _rowEnd: number): void {
    // no state
  }

  updateRows(data: Float32Array, dim: number, rows: Int32Array, count: number, grads: Float32Array, step: number, lr?: number): void {
    checkUpdateArgs(this.type, data, dim, dim, rows, count, grads, step, lr);
    const rate = lr ?? this.config.lr;
    const decay = this.config.weightDecay;
    for (let i = 0; i < count; i++) {
      if (i % PREFETCH_ROWS === 0) touchRows(data, rows, i, Math.min(count, i + PREFETCH_ROWS), dim, dim);
      const w0 = (rows[i] as number) * dim;
      const g0 = i * dim;
      for (let k = 0; k < dim; k++) {
        const wi = w0 + k;
        const w = data[wi] as number;
        data[wi] = w - rate * ((grads[g0 + k] as number) + decay * w);
      }
    }
  }
}
