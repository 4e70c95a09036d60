/**
 * CPU time per element of `fillDropoutMask` (the library's branch-free loop) against the same rule written with
 * a comparison (`drop when draw < rate * 2^32`, the loop before it), on one [256, 256] mask a call: a MovieLens
 * step's size (batch 256, hidden [256]). Process CPU time (`process.cpuUsage`, one thread). Both give the same
 * mask (test/graph/nn.test.ts); the branch is what costs: a random keep-or-drop branch is mispredicted about
 * half the time at rate 0.5. One JSON line: ns per element, median of 5 rounds of 500 calls, at each rate.
 *
 *   npx tsx bench/dropout-mask-case.ts
 */
import { Rng } from '../src/core/rng.js';
import { fillDropoutMask } from '../src/graph/nn.js';

function branching(rng: Rng, rate: number, out: Float32Array): Float32Array {
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

function nsPerElement(fill: (rng: Rng, rate: number, out: Float32Array) => Float32Array, rate: number): number {
  const out = new Float32Array(256 * 256);
  const rng = new Rng(1);
  const rounds: number[] = [];
  for (let r = 0; r < 6; r++) {
    const c0 = process.cpuUsage();
    for (let i = 0; i < 500; i++) fill(rng, rate, out);
    const c = process.cpuUsage(c0);
    if (r > 0) rounds.push(((c.user + c.system) * 1000) / (500 * out.length));
  }
  return rounds.sort((a, b) => a - b)[rounds.length >> 1] as number;
}

const result: Record<string, number | string> = { case: 'dropout_mask', shape: '256x256' };
for (const rate of [0.5, 0.1]) {
  result[`library_ns_rate_${rate}`] = nsPerElement(fillDropoutMask, rate);
  result[`branching_ns_rate_${rate}`] = nsPerElement(branching, rate);
}
console.log(JSON.stringify(result));
