import type { SuiteRun, TrialEvent } from '../experiments/runner.js';
import { openSuiteLedger } from '../experiments/runner.js';
import type { Suite, TrialSpec } from '../experiments/suite.js';
import type { TrialRecord } from '../experiments/trial.js';
import type { TrialJobData } from './job-runners.js';
import { type QueueProgress, runJobsOnQueue } from './submit.js';

export interface SuiteOnQueueOptions {
  /** The results file: the same lines, the same resume as a local run (runSuite). */
  readonly resultsFile: string;
  /** `redis://host:port` of the BullMQ queues the workers (`widedeep worker`) take jobs from. */
  readonly queue: string;
  /** ONNX Runtime threads of every trial, whatever worker runs it; absent: each worker's own (--threads, or its cores). */
  readonly threads?: number;
  readonly prefix?: string;
  readonly onTrial?: (event: TrialEvent) => void;
  readonly onProgress?: (c: QueueProgress) => void;
  /** Connection trouble (Redis went away; the run waits for it). */
  readonly onWarning?: (message: string) => void;
  readonly signal?: AbortSignal;
}

/**
 * The job id of a trial: suite name, trial key and config hash. A rerun of the same suite finds its jobs; a
 * changed config or suite gets new ones.
 */
export function trialJobId(t: TrialSpec): string {
  return `${t.suite.replace(/[^\w.-]/g, '_')}-${t.key}-${t.configHash}`;
}

/**
 * `widedeep experiment --queue`: the suite's trials that the results file does not hold as finished go on
 * the `widedeep-trials` queue, one job each; every record is appended as it arrives, as a local run would.
 * Trials whose job a previous submission left completed in Redis are collected, not rerun (a failed record
 * excepted: it runs again, as locally).
 */
export async function runSuiteOnQueue(suite: Suite, o: SuiteOnQueueOptions): Promise<SuiteRun> {
  const ledger = openSuiteLedger(suite, o.resultsFile, o.onTrial);
  const byId = new Map(ledger.pending.map((t) => [trialJobId(t), t]));
  const jobs = ledger.pending.map((trial) => ({ id: trialJobId(trial), data: { trial, ...(o.threads !== undefined ? { threads: o.threads } : {}) } satisfies TrialJobData }));
  await runJobsOnQueue<TrialJobData, TrialRecord>(o.queue, 'trial', jobs, {
    onResult: (id, record) => ledger.finish(byId.get(id) as TrialSpec, record),
    reuse: (_id, record) => record.status === 'ok',
    ...(o.onProgress ? { onProgress: o.onProgress } : {}),
    ...(o.onWarning ? { onWarning: o.onWarning } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
    ...(o.prefix !== undefined ? { prefix: o.prefix } : {}),
  });
  return ledger.summary(false);
}
