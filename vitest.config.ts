import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The test files that take longest (minutes of full trainings, brokers and child processes), started first:
 * vitest orders files by the durations of an earlier run when it has them and by file size otherwise, so on a
 * clean clone (CI) the small quality tests came last and ran alone while the other workers sat idle. Longest
 * first packs the rest around them. The quality tests are one file per example (test/quality/), so that they
 * spread over the forks (one file of all three was ~6 minutes of the ~10 alone).
 */
const LONG_FIRST = [
  'test/quality/movielens-rating.test.ts',
  'test/quality/movielens.test.ts',
  'test/studio/browser.test.ts',
  'test/cli/cli.test.ts',
  'test/stream/kafka.test.ts',
  'test/stream/nats.test.ts',
  'test/cli/predict-input.test.ts',
  'test/score/score.test.ts',
  'test/train/bad-rows.test.ts',
  'test/stream/trainer.test.ts',
  'test/scale/worker-faults.test.ts',
  'test/scale/queue-experiment.test.ts',
  'test/experiments/runner.test.ts',
  'test/quality/adult.test.ts',
  'test/model/sparse-workers.test.ts',
  'test/web/web.test.ts',
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

/**
 * Test files that only compute in the test process (no child processes, servers, worker threads, mocks of
 * process streams or environment): they run one after another in one worker thread that keeps its module
 * cache from file to file (isolate: false), beside the forks. A fresh fork per file spent ~1.5 s of CPU on
 * loading vitest and src/ again: measured on these folders, 38 s of CPU isolated against 21 s shared.
 */
const IN_PROCESS = [
  // not test/features/properties.test.ts: it failed in both full runs in this thread (boundaries [0, -0]), never
  // alone; in a fork of its own it runs as before
  'test/features/!(properties).test.ts',
  'test/metrics/**/*.test.ts',
  'test/graph/**/*.test.ts',
  'test/experiments/{stats,curves}.test.ts',
  'test/train/{schedules,clip,run-config-schema,run-config-json-schema,resume-config,recency-weights,example-shuffle,early-stopping-mode,wait-time}.test.ts',
  'test/data/{labels,shuffle-split,utf8-values,bad-input,synthetic}.test.ts',
  'test/model/{average,parts,state-layout,wide-deep,slice,threads}.test.ts',
  'test/sparse/{average,optimizers,optimizer-contract,wide,table}.test.ts',
  'test/runtime/{cores,default-executor}.test.ts',
  'test/experiments/suite.test.ts',
  'test/studio/{waterfall,example-row}.test.ts',
];

const TIMEOUTS = { testTimeout: 180_000, hookTimeout: 60_000 };

export default defineConfig({
  test: {
    pool: 'forks',
    // Three forks and the in-process thread on two cores: a fourth fork kept the cores as busy (174%) and cost
    // more CPU in all (1058 s against 998 s for the suite, each over two cores shared with other work).
    poolOptions: { forks: { maxForks: 3, minForks: 1 }, threads: { isolate: false, maxThreads: 1, minThreads: 1 } },
    sequence: { sequencer: LongFirst },
    projects: [
      { test: { ...TIMEOUTS, name: 'in-process', include: IN_PROCESS, pool: 'threads' } },
      {
        test: {
          ...TIMEOUTS,
          name: 'processes',
          include: ['test/**/*.test.ts'],
          exclude: IN_PROCESS,
          // src/ transpiled once for the CLI child processes the tests start (test/helpers/cli-process.ts says why).
          globalSetup: ['test/helpers/build-cli.ts'],
        },
      },
    ],
  },
});
