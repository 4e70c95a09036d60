import { describe, expect, it } from 'vitest';
import { meanTest } from './mean-test.js';

// Issue 4 quality on MovieLens 100K fitted to the rating (examples/movielens-rating.yaml), mean of seeds 42-44.
describe('issue 4 quality, test split, mean of seeds 42-44', () => {
  it('MovieLens 100K fitted to the rating (examples/movielens-rating.yaml): AUC of rating >= 4 above 0.80', async (ctx) => {
    const m = await meanTest('examples/movielens-rating.yaml', 'ml-100k/u.data', ctx);
    expect(m.auc).toBeGreaterThanOrEqual(0.8);
    expect(m['ndcg@10']).toBeGreaterThan(0.8);
  }, 400_000);
});
