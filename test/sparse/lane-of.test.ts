import { describe, expect, it } from 'vitest';
import { laneOf } from '../../src/sparse/lane-of.js';

describe('laneOf: which lane owns each table', () => {
  it('one lane owns everything', () => {
    expect(laneOf([16, 8, 4], 1, 100)).toEqual([0, 0, 0]);
  });

  it('equal tables alternate; the main lane takes fewer when it carries other work', () => {
    expect(laneOf([16, 16, 16, 16], 2)).toEqual([0, 1, 0, 1]);
    // 26 tables of 16 and the wide part of 26 features at 4 each (104 = 6.5 tables) on the main lane.
    const lanes = laneOf(Array.from({ length: 26 }, () => 16), 2, 104);
    const mine = lanes.filter((l) => l === 0).length;
    expect(mine).toBe(10); // 104 + 160 = 264 against 16 * 16 = 256
    expect(lanes.filter((l) => l === 1).length).toBe(16);
  });

  it('big tables first, each to the least-loaded lane, so loads end within one table of each other', () => {
    const costs = [4, 32, 8, 16, 16, 8, 64, 4];
    const lanes = laneOf(costs, 3);
    const load = [0, 0, 0];
    costs.forEach((c, i) => (load[lanes[i]!]! += c));
    expect(Math.max(...load) - Math.min(...load)).toBeLessThanOrEqual(Math.max(...costs));
    expect(lanes[6]).toBe(0); // the biggest table goes first, to lane 0
    expect(laneOf(costs, 3)).toEqual(lanes); // deterministic
  });
});
