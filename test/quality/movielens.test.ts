import { describe, expect, it } from 'vitest';
import { meanTest } from './mean-test.js';

// Issue 4 quality on MovieLens 100K, binary label (examples/movielens.yaml), mean of seeds 42-44 (mean-test.ts).
describe('issue 4 quality, test split, mean of seeds 42-44', () => {
  it('MovieLens 100K, binary rating >= 4 (examples/movielens.yaml): AUC >= 0.80', async (ctx) => {
    const m = await meanTest('examples/movielens.yaml', 'ml-100k/u.data', ctx);
    expect(m.auc).toBeGreaterThanOrEqual(0.8);
    expect(m['ndcg@10']).toBeGreaterThan(0.8);
  }, 400_000);
});
