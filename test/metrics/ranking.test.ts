import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hitRateAtK, mapAtK, ndcgAtK, rankingMetrics, recallAtK } from '../../src/metrics/index.js';
import { catchError, f64 } from './helpers.js';

/**
 * Naive reference: the rank of item i is 1 + the number of items of the same user with a higher score, or an
 * equal score and an earlier position. Metrics then follow the textbook sums, user by user.
 */
function naive(s: readonly number[], y: readonly number[], users: readonly number[], k: number) {
  const ids = [...new Set(users)];
  const acc = { ndcg: 0, hitRate: 0, map: 0, recall: 0, users: 0, excludedUsers: 0 };
  for (const u of ids) {
    const items = users.map((v, i) => (v === u ? i : -1)).filter((i) => i >= 0);
    const rel = items.filter((i) => y[i] === 1);
    if (rel.length === 0) {
      acc.excludedUsers++;
      continue;
    }
    acc.users++;
    const rank = (i: number): number => 1 + items.filter((j) => s[j]! > s[i]! || (s[j] === s[i] && j < i)).length;
    const hitRanks = rel.map(rank).filter((r) => r <= k);
    const dcg = hitRanks.reduce((a, r) => a + 1 / Math.log2(r + 1), 0);
    let idcg = 0;
    for (let r = 1; r <= Math.min(rel.length, k); r++) idcg += 1 / Math.log2(r + 1);
    const ap = hitRanks.reduce((a, r) => a + hitRanks.filter((q) => q <= r).length / r, 0) / Math.min(rel.length, k);
    acc.ndcg += dcg / idcg;
    acc.hitRate += hitRanks.length > 0 ? 1 : 0;
    acc.map += ap;
    acc.recall += hitRanks.length / rel.length;
  }
  const d = acc.users;
  return { k, ndcg: acc.ndcg / d, hitRate: acc.hitRate / d, map: acc.map / d, recall: acc.recall / d, users: acc.users, excludedUsers: acc.excludedUsers };
}

describe('ranking metrics', () => {
  // user 7: scores 0.9 0.8 0.7 0.6, labels 0 1 0 1; user 3: 0.5 0.5 0.1, labels 0 1 0 (tie: input order);
  // user 5: no relevant item. Interleaved to check the grouping.
  const users = Int32Array.from([7, 3, 7, 5, 3, 7, 3, 7, 5]);
  const scores = f64([0.9, 0.5, 0.8, 0.4, 0.5, 0.7, 0.1, 0.6, 0.3]);
  const labels = f64([0, 0, 1, 0, 1, 0, 0, 1, 0]);
  const l3 = 1 / Math.log2(3);

  it('matches hand-computed values at K = 2', () => {
    const r = rankingMetrics(scores, labels, users, 2);
    // user 7: relevant at rank 2 of R = 2: ndcg l3 / (1 + l3), AP (1/2) / 2, recall 1/2
    // user 3: the relevant tied item comes second: ndcg l3 / 1, AP 1/2, recall 1
    expect(r.ndcg).toBeCloseTo((l3 / (1 + l3) + l3) / 2, 14);
    expect(r.hitRate).toBe(1);
    expect(r.map).toBeCloseTo((0.25 + 0.5) / 2, 14);
    expect(r.recall).toBeCloseTo(0.75, 14);
    expect(r.users).toBe(2);
    expect(r.excludedUsers).toBe(1);
    expect(ndcgAtK(scores, labels, users, 2)).toBe(r.ndcg);
    expect(hitRateAtK(scores, labels, users, 2)).toBe(r.hitRate);
    expect(mapAtK(scores, labels, users, 2)).toBe(r.map);
    expect(recallAtK(scores, labels, users, 2)).toBe(r.recall);
  });

  it('matches hand-computed values at K = 1 and K = 4', () => {
    const r1 = rankingMetrics(scores, labels, users, 1);
    expect(r1).toEqual({ k: 1, ndcg: 0, hitRate: 0, map: 0, recall: 0, users: 2, excludedUsers: 1 });
    const r4 = rankingMetrics(scores, labels, users, 4);
    // user 7: relevant at ranks 2 and 4: dcg l3 + 1/log2(5), idcg 1 + l3, AP (1/2 + 2/4) / 2, recall 1
    const u7 = (l3 + 1 / Math.log2(5)) / (1 + l3);
    expect(r4.ndcg).toBeCloseTo((u7 + l3) / 2, 14);
    expect(r4.map).toBeCloseTo((0.5 + 0.5) / 2, 14);
    expect(r4.recall).toBe(1);
  });

  it('breaks ties by input order', () => {
    // Swap user 3's tied items: now the relevant one comes first and ranks first.
    const swapped = f64([0, 1, 1, 0, 0, 0, 0, 1, 0]);
    expect(rankingMetrics(scores, swapped, users, 1).hitRate).toBe(0.5);
    expect(rankingMetrics(scores, labels, users, 1).hitRate).toBe(0);
  });

  it('accepts string user ids and returns NaN when no user has a relevant item', () => {
    expect(rankingMetrics(f64([0.2, 0.1]), f64([0, 1]), ['a', 'a'], 1).ndcg).toBe(0);
    const none = rankingMetrics(f64([0.2, 0.1]), f64([0, 0]), ['a', 'b'], 3);
    expect(none.ndcg).toBeNaN();
    expect(none.users).toBe(0);
    expect(none.excludedUsers).toBe(2);
  });

  it('agrees with the naive reference on random data with many ties', () => {
    const data = fc.integer({ min: 1, max: 40 }).chain((n) =>
      fc.record({
        s: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: n, maxLength: n }),
        y: fc.array(fc.integer({ min: 0, max: 1 }), { minLength: n, maxLength: n }),
        u: fc.array(fc.integer({ min: 0, max: 5 }), { minLength: n, maxLength: n }),
        k: fc.integer({ min: 1, max: 8 }),
      }),
    );
    fc.assert(
      fc.property(data, ({ s, y, u, k }) => {
        const got = rankingMetrics(f64(s), f64(y), Int32Array.from(u), k);
        const ref = naive(s, y, u, k);
        expect(got.users).toBe(ref.users);
        expect(got.excludedUsers).toBe(ref.excludedUsers);
        for (const m of ['ndcg', 'hitRate', 'map', 'recall'] as const) {
          if (ref.users === 0) expect(got[m]).toBeNaN();
          else expect(got[m]).toBeCloseTo(ref[m], 12);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('rejects bad input', () => {
    expect(catchError(() => rankingMetrics(scores, labels, users, 0)).details.field).toBe('k');
    expect(catchError(() => rankingMetrics(scores, labels, users.subarray(1), 2)).details.field).toBe('users');
    expect(catchError(() => rankingMetrics(f64([0.1, Number.NaN]), f64([0, 1]), [1, 1], 2)).details.field).toBe('predictions[1]');
    expect(catchError(() => rankingMetrics(f64([0.1]), f64([2]), [1], 2)).details.field).toBe('labels[0]');
    expect(catchError(() => rankingMetrics(f64([]), f64([]), [], 2)).code).toBe('DATA');
  });
});
