import { resolve } from 'node:path';
import { parseSuite, type Suite } from '../../src/experiments/suite.js';

/** Suite data small enough for tests: the synthetic log in a small world, two variants x two seeds. */
export function tinySuiteRaw() {
  return {
    name: 'tiny',
    base: resolve(import.meta.dirname, '../../examples/suites/bases/synthetic.yaml'),
    set: {
      'data.rows': 3000,
      'data.synthetic': { numUsers: 200, numApps: 100 },
      'train.epochs': 2,
      'features.columns[name=user_id].hashBuckets': 300,
      'model.deep.hidden': [8],
    } as Record<string, unknown>,
    grid: { 'model.kind': ['wide', 'wide_deep'] } as Record<string, unknown>,
    seeds: [1, 2],
  };
}

export function tinySuite(extra: Record<string, unknown> = {}): Suite {
  return parseSuite({ ...tinySuiteRaw(), ...extra });
}
