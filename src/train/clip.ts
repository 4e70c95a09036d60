import { WideDeepError } from '../core/errors.js';

/** L2 norm of all gradients taken together, sqrt(sum over arrays and elements of g^2), summed in float64. */
export function globalNorm(grads: readonly Float32Array[]): number {
  let sq = 0;
  for (const g of grads) {
    for (let i = 0; i < g.length; i++) {
      const x = g[i]!;
      sq += x * x;
    }
  }
  return Math.sqrt(sq);
}

/**
 * Clips gradients by global norm, in place (TensorFlow's clip_by_global_norm): when the global norm exceeds
 * `maxNorm`, every gradient is multiplied by maxNorm / norm, which keeps their direction; otherwise nothing
 * changes. Returns the norm before clipping (for logging). A NaN or infinite gradient is an error naming the
 * array and index, since scaling would silently spread it.
 */
export function clipByGlobalNorm(grads: readonly Float32Array[], maxNorm: number): number {
  if (!(maxNorm > 0 && maxNorm < Infinity)) {
    throw new WideDeepError('CONFIG', `maxNorm must be a finite number > 0, got ${maxNorm}`, { field: 'maxNorm' });
  }
  const norm = globalNorm(grads);
  if (!Number.isFinite(norm)) throw nonFinite(grads);
  if (norm <= maxNorm) return norm;
  const scale = maxNorm / norm;
  for (const g of grads) {
    for (let i = 0; i < g.length; i++) g[i]! *= scale;
  }
  return norm;
}

function nonFinite(grads: readonly Float32Array[]): WideDeepError {
  for (let a = 0; a < grads.length; a++) {
    const g = grads[a]!;
    for (let i = 0; i < g.length; i++) {
      if (!Number.isFinite(g[i])) {
        return new WideDeepError('DATA', `gradient ${a} has ${g[i]} at index ${i}`, {
          field: `grads[${a}][${i}]`,
          fix: 'lower the learning rate or check the loss for NaN',
        });
      }
    }
  }
  // Every element is finite but their squares overflowed float64: not reachable from float32 inputs.
  return new WideDeepError('INTERNAL', 'gradient norm overflowed');
}
