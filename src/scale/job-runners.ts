import { runTrial, type TrialRecord, type TrialThreads } from '../experiments/trial.js';
import type { TrialSpec } from '../experiments/suite.js';
import { type ScoreRangeJob, type ScoreRangeResult, runScoreRange } from '../score/range-job.js';
import type { JobKind } from './queues.js';

/** The data of a `trial` job: the expanded trial and, when the submitter fixed it, its thread count. */
export interface TrialJobData {
  readonly trial: TrialSpec;
  /** `widedeep experiment --threads`: wins over the worker's --threads, so results do not depend on the worker. */
  readonly threads?: number;
}

/** What the worker adds to every job: its own thread settings (`--threads`, its share of the cores). */
export interface JobContext {
  readonly threads?: number;
  readonly budget: number;
}

/**
 * What each kind of job runs, inside the job's child process: JSON data in, a JSON result out. One entry per
 * `JobKind`; a new kind of work is one line here and one queue name in queues.ts.
 */
export const JOB_RUNNERS: Readonly<Record<JobKind, (data: unknown, ctx: JobContext) => Promise<unknown>>> = {
  trial: (data, ctx) => runTrialJob(data as TrialJobData, ctx),
  'score-range': (data, ctx) => runScoreRangeJob(data as ScoreRangeJob, ctx),
};

/**
 * A range of `widedeep score --queue`: the job's own thread count (score --threads) wins over the worker's, and
 * its DuckDB stays within the worker's share of the cores (a worker with --concurrency 2 runs two ranges).
 */
function runScoreRangeJob(job: ScoreRangeJob, ctx: JobContext): Promise<ScoreRangeResult> {
  const threads = job.threads ?? ctx.threads;
  return runScoreRange({ ...job, ...(threads !== undefined ? { threads } : {}), duckdbThreads: job.duckdbThreads ?? ctx.budget });
}

function runTrialJob(data: TrialJobData, ctx: JobContext): Promise<TrialRecord> {
  const threads = data.threads ?? ctx.threads;
  const options: TrialThreads = { budget: ctx.budget, ...(threads !== undefined ? { threads } : {}) };
  return runTrial(data.trial, options);
}
