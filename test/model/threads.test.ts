import { describe, expect, it } from 'vitest';
import { parseModelConfig } from '../../src/model/config.js';
import type { ModelSizes } from '../../src/model/sizes.js';
import { ONE_THREAD_BELOW_MACS, autoThreads } from '../../src/model/forward.js';

const sizes: ModelSizes = {
  objective: 'binary',
  wide: [{ key: 'a', size: 10 }],
  embeddings: [{ key: 'a', size: 10, dim: 8, pooling: 'sum' }],
  sequences: [{ key: 'hist', size: 100, dim: 8, length: 20 }],
  denseWidth: 5,
};
const shapes = (...s: number[][]): { shape: number[] }[] => s.map((shape) => ({ shape }));

describe('autoThreads', () => {
  it('runs a small dense part (the census MLP: 109 -> 100 -> 50 -> 1) on one thread', () => {
    const config = parseModelConfig({ kind: 'wide_deep', deep: { type: 'mlp', hidden: [100, 50] } });
    expect(autoThreads(shapes([109, 100], [100], [100, 50], [50], [50, 1], [1]), sizes, config)).toBe(1);
  });

  it('leaves a larger one (the engine small case: 77 -> 256 -> 128 -> 64 -> 1) to the executor default', () => {
    const config = parseModelConfig({ kind: 'wide_deep', deep: { type: 'mlp', hidden: [256, 128, 64] } });
    expect(autoThreads(shapes([77, 256], [256], [256, 128], [128], [128, 64], [64], [64, 1], [1]), sizes, config)).toBeUndefined();
  });

  it('counts a GRU weight once per step of the longest sequence; wide-only is one thread', () => {
    const gru = parseModelConfig({ kind: 'wide_deep', deep: { type: 'gru', sequence: 'hist', hidden: 16, head: { hidden: [8] } } });
    const small = shapes([8 + 16, 48], [48]); // ~1.2k weights: x 20 steps = 23k, under the bar
    expect(1200 * 20).toBeLessThan(ONE_THREAD_BELOW_MACS);
    expect(autoThreads(small, sizes, gru)).toBe(1);
    const bigger = shapes([8 + 32, 96], [96], [32, 8]); // ~4.1k weights x 20 steps = 82k
    expect(autoThreads(bigger, sizes, gru)).toBeUndefined();
    expect(autoThreads(shapes([1000, 1000]), sizes, parseModelConfig({ kind: 'wide' }))).toBe(1);
  });
});
