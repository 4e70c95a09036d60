import type { JobsOptions } from 'bullmq';
import { WideDeepError } from '../core/errors.js';

/**
 * The BullMQ queues widedeep uses: one per purpose, so that progress counts, retries and dedicated workers
 * stay apart. The jobs' names are their kind; the job id is the caller's stable id (a trial's suite, key and
 * config hash; a score range's output and range), which is what makes a re-submission a no-op while the job
 * is queued, running or kept as completed.
 */
export type JobKind = 'trial' | 'score-range';

export const JOB_KINDS: readonly JobKind[] = ['trial', 'score-range'];

export const QUEUE_NAMES: Readonly<Record<JobKind, string>> = { trial: 'widedeep-trials', 'score-range': 'widedeep-score' };

/** The Redis key prefix of every queue (BullMQ's default is `bull`); `--queue-prefix` changes it. */
export const DEFAULT_PREFIX = 'widedeep';

const DAY = 24 * 3600;

/**
 * Options of every job:
 * - `attempts: 3`, exponential backoff from 2 s: a worker process that crashed, lost its lock (kill -9, then
 *   BullMQ's stalled-job check) or met an I/O error runs the job again, elsewhere if another worker is free;
 *   errors that would repeat (bad config, bad data) fail at once (the worker throws UnrecoverableError).
 * - `removeOnComplete: 7 days / 100000 jobs`: a finished job stays in Redis with its return value for a
 *   week, so a submitter killed and rerun within that time collects it without running it again.
 * - `removeOnFail: 30 days`: a job that failed for good stays visible (and is retried by the next submission).
 */
export const JOB_OPTIONS: JobsOptions = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 2000 },
  removeOnComplete: { age: 7 * DAY, count: 100_000 },
  removeOnFail: { age: 30 * DAY },
};

/** Checks a job id the way BullMQ will (no `:`, not an integer) with a message that says which id. */
export function checkJobId(id: string): string {
  if (id === '' || id.includes(':') || /^\d+$/.test(id)) {
    throw new WideDeepError('INTERNAL', `job id ${JSON.stringify(id)} is not usable by BullMQ (empty, an integer, or containing ':')`, { fix: 'build ids from hashes and names joined by -' });
  }
  return id;
}

/** Checks a queue prefix: letters, digits, `-`, `_`, `.` (it becomes part of every Redis key). */
export function checkPrefix(prefix: string, flag = '--queue-prefix'): string {
  if (!/^[\w.-]+$/.test(prefix)) throw new WideDeepError('CONFIG', `${flag} ${JSON.stringify(prefix)} must be letters, digits, -, _ or .`, { field: flag, fix: `${flag} ${DEFAULT_PREFIX}` });
  return prefix;
}
