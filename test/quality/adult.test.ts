import { describe, expect, it } from 'vitest';
import { meanTest } from './mean-test.js';

// Issue 4 quality on UCI Adult (examples/adult.yaml), test split, mean of seeds 42-44 (see mean-test.ts).
describe('issue 4 quality, test split, mean of seeds 42-44', () => {
  it('Adult (examples/adult.yaml): AUC >= 0.915 and accuracy >= 0.86', async (ctx) => {
    const m = await meanTest('examples/adult.yaml', 'adult/adult.data', ctx);
    expect(m.auc).toBeGreaterThanOrEqual(0.915);
    expect(m.accuracy).toBeGreaterThanOrEqual(0.86);
  }, 120_000);
});
