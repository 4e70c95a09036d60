import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The test files that take longest (minutes of full trainings, brokers and child processes), started first:
 * vitest orders files by the durations of an earlier run when it has them and by file size otherwise, so on a
 * clean clone (CI) the small quality.test.ts came last and ran alone for its ~150 s while the other workers sat
 * idle. Longest first packs the rest around it.
 */
const LONG_FIRST = [
  'test/quality.test.ts',
  'test/stream/kafka.test.ts',
  'test/cli/cli.test.ts',
  'test/stream/nats.test.ts',
  'test/cli/predict-input.test.ts',
  'test/studio/browser.test.ts',
  'test/stream/trainer.test.ts',
  'test/scale/queue-experiment.test.ts',
  'test/score/score.test.ts',
];

class LongFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (f: TestSpecification): number => {
      const i = LONG_FIRST.findIndex((p) => f.moduleId.endsWith(p));
      return i < 0 ? LONG_FIRST.length : i;
    };
    return [...sorted].sort((a, b) => rank(a) - rank(b));
  }
}

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 60_000,
    pool: 'forks',
    poolOptions: { forks: { maxForks: 3, minForks: 1 } },
    sequence: { sequencer: LongFirst },
  },
});
