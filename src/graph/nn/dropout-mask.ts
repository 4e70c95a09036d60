import { WideDeepError } from '../../core/errors.js';
import type { Rng } from '../../core/rng.js';

/**
 * Fills `out` with an inverted-dropout mask: each element is 0 with probability `rate`, else 1 / (1 - rate),
 * so the expected value of every masked activation is unchanged and inference needs no rescaling.
 * Pure: draws one 32-bit seed from `rng` per call (none when rate is 0) and runs an inline xorshift32 stream
 * from it, dropping an element when its draw falls below rate * 2^32 (the shared generator's per-element cost
 * made masks the slowest part of a small training step); allocates nothing. Returns `out`.
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
  const threshold = rate * 4294967296;
  let x = rng.nextU32() | 1;
  for (let i = 0; i < out.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x >>> 0 < threshold ? 0 : keep;
  }
  return out;
}
