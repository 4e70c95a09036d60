import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSuite } from '../../src/experiments/runner.js';
import { runMain } from '../helpers/cli.js';
import { smallConfig, writeConfig } from '../helpers/small-config.js';
import { tinySuite, tinySuiteRaw } from '../experiments/tiny-suite.js';

/**
 * A runs directory as `widedeep studio --runs` finds one, made by the real commands: `small/` written by
 * `widedeep fit` (run.json and the model bundle), `experiments/tiny.jsonl` by a tiny suite run in process
 * (two variants x two seeds), and `broken/run.json`, a record cut off mid-write, which the studio must list
 * with its error rather than fail on.
 */
export interface StudioRuns {
  readonly runs: string;
  readonly model: string;
  readonly results: string;
}

export async function makeStudioRuns(): Promise<StudioRuns> {
  const runs = join(mkdtempSync(join(tmpdir(), 'wd-studio-')), 'runs');
  const [, config] = writeConfig(smallConfig({ epochs: 2, rows: 3000 }));
  const fit = await runMain(['fit', '--config', config, '--out', join(runs, 'small'), '--json']);
  if (fit.code !== 0) throw new Error(`fit failed: ${fit.stderr}`);
  const results = join(runs, 'experiments', 'tiny.jsonl');
  mkdirSync(join(runs, 'experiments'), { recursive: true });
  const raw = tinySuiteRaw();
  await runSuite(tinySuite({ set: { ...raw.set, 'data.rows': 1500, 'train.epochs': 1 } }), { resultsFile: results, workers: 0, threads: 1 });
  mkdirSync(join(runs, 'broken'));
  writeFileSync(join(runs, 'broken', 'run.json'), '{"format":1,"kind":"fi');
  return { runs, model: join(runs, 'small', 'model'), results };
}
