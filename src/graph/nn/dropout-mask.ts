import { WideDeepError } from '../../core/errors.js';
import type { Rng } from '../../core/rng.js';

/**
 * Fills `out` with an inverted-dropout mask: each element is 0 with probability `rate`, else 1 / (1 - rate),
 * so the expected value of every masked activation is unchanged and inference needs no rescaling.
 * Pure: draws `out.length` uniforms from `rng` (none when rate is 0), allocates nothing. Returns `out`.
 */
export function fillDropoutMask<T extends Float32Array | Float64Array>(rng: Rng, rate: number, out: T): T {
  if (!(rate >= 0 && rate < 1)) {
    throw new WideDeepError('CONFIG', `dropout rate must be in [0, 1), got ${rate}`, { field: 'dropout', fix: 'use a rate in [0, 1)' });
  }
  if (rate === 0) {
    out.fill(1);
    return out;
  }
  const keep = 1 / (1 - rate);
  for (let i = 0; i < out.length; i++) out[i] = rng.uniform() < rate ? 0 : keep;
  return out;
}
