import { type ChildProcess, fork } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { WideDeepError } from '../core/errors.js';
import { availableCores } from '../runtime/cores.js';
import { parseRunConfig } from '../train/run-config.js';
import { appendResult, readResults, repairResultsFile } from './results-file.js';
import { type Suite, type TrialSpec, expandSuite } from './suite.js';
import { type TrialRecord, type TrialThreads, failedRecord, runTrial } from './trial.js';

export interface TrialEvent {
  /** `done`: ran now; `resumed`: found in the results file; `failed`: ran now and failed. */
  readonly kind: 'done' | 'resumed' | 'failed';
  readonly trial: TrialSpec;
  readonly record: TrialRecord;
  /** Trials finished so far (including resumed ones) and in all. */
  readonly done: number;
  readonly total: number;
}

export interface RunSuiteOptions {
  /** JSON-lines file the records are appended to; existing finished trials are not rerun. */
  readonly resultsFile: string;
  /** Worker processes running trials at once (default 1). 0 runs the trials in this process, one by one. */
  readonly workers?: number;
  /**
   * ONNX Runtime intra-op threads of every trial (wins over a trial's train.threads). Default: the cores divided
   * between the workers (`threadsPerTrial`), a tiny dense part still on one thread, so a suite uses the machine.
   * The count each trial ran with is recorded in its line (`threads`). Metrics are identical for equal thread
   * counts and may differ in the last digits between counts: by default they depend on `workers` and on the
   * machine's cores, and `threads: 1` (`--threads 1`) gives results that depend on neither.
   */
  readonly threads?: number;
  readonly onTrial?: (event: TrialEvent) => void;
  /** Stops launching trials and kills running ones (their trials run again on the next call). */
  readonly signal?: AbortSignal;
}

export interface SuiteRun {
  /** The suite's records (finished ones from earlier runs and from this one), in suite order. */
  readonly records: readonly TrialRecord[];
  readonly ran: number;
  readonly resumed: number;
  readonly failed: number;
  readonly aborted: boolean;
}

/** How to start the worker entry: the compiled .js, or the .ts source through tsx's loader. */
function workerEntry(): { file: string; execArgv: string[] } {
  const self = fileURLToPath(import.meta.url);
  if (self.endsWith('.ts')) {
    const tsx = createRequire(import.meta.url).resolve('tsx');
    return { file: self.replace(/runner\.ts$/, 'trial-worker.ts'), execArgv: ['--import', pathToFileURL(tsx).href] };
  }
  return { file: self.replace(/runner\.js$/, 'trial-worker.js'), execArgv: [] };
}

/** Each trial's share of `cores` when `workers` trials run at once (0: one at a time in this process): at least 1. */
export function threadsPerTrial(cores: number, workers: number): number {
  return Math.max(1, Math.floor(cores / Math.max(1, workers)));
}

/** Runs one trial in a fresh worker process; null when the run was aborted (the worker killed on purpose). */
function runInWorker(trial: TrialSpec, threads: TrialThreads, register: (c: ChildProcess | null) => void, aborted: () => boolean): Promise<TrialRecord | null> {
  const { file, execArgv } = workerEntry();
  return new Promise((resolvePromise, reject) => {
    const child = fork(file, [], { execArgv, stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'advanced' });
    register(child);
    let stderr = '';
    let record: TrialRecord | null = null;
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    child.on('message', (m: { record: TrialRecord }) => {
      record = m.record;
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      register(null);
      if (record) resolvePromise(record);
      else if (aborted()) resolvePromise(null);
      else reject(new WideDeepError('RUNTIME', `the worker of trial ${trial.variant} (seed ${trial.seed}) exited with ${code ?? signal} before reporting: ${stderr.trim() || 'no output'}`));
    });
    child.send({ trial, threads });
  });
}

/** Creates the directory of the results file (a fresh clone has no runs/experiments/). */
function makeDirOf(resultsFile: string): void {
  const dir = dirname(resultsFile);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new WideDeepError('IO', `cannot create the directory of the results file: ${(err as Error).message}`, { file: resultsFile, fix: `choose another results file, or make ${dir} writable` });
  }
}

/**
 * The suite's trials the results file holds as finished (status ok), by key, after cutting off a half-written
 * last line. A finished trial whose config differs from the suite's is an error: the suite changed.
 */
function finishedTrials(resultsFile: string, trials: readonly TrialSpec[]): Map<string, TrialRecord> {
  repairResultsFile(resultsFile);
  const finished = new Map<string, TrialRecord>();
  if (existsSync(resultsFile)) {
    for (const r of readResults(resultsFile)) if (r.status === 'ok' && !finished.has(r.key)) finished.set(r.key, r);
  }
  const out = new Map<string, TrialRecord>();
  for (const t of trials) {
    const old = finished.get(t.key);
    if (!old) continue;
    if (old.configHash !== t.configHash) {
      throw new WideDeepError('CONFIG', `the results file holds trial ${t.variant} (seed ${t.seed}) run with a different config`, {
        file: resultsFile,
        fix: 'the suite or its base config changed since: write to a new results file (--out)',
      });
    }
    out.set(t.key, old);
  }
  return out;
}

/**
 * The bookkeeping of a suite run, shared by the local runner and the queue (src/scale): the trials (every
 * config validated), the ones the results file already holds as finished (announced as `resumed`), and
 * `finish`, which appends a trial's record as one line, counts it and announces it.
 */
export interface SuiteLedger {
  readonly trials: readonly TrialSpec[];
  /** The trials still to run, in suite order. */
  readonly pending: readonly TrialSpec[];
  finish(t: TrialSpec, record: TrialRecord): void;
  /** The run so far: records in suite order and the counts. */
  summary(aborted: boolean): SuiteRun;
}

/** Opens the ledger of a suite run on `resultsFile` (created with its directory when missing). */
export function openSuiteLedger(suite: Suite, resultsFile: string, onTrial?: (event: TrialEvent) => void): SuiteLedger {
  const trials = expandSuite(suite);
  for (const t of trials) parseRunConfig(t.config, `suite ${suite.name}, variant ${t.variant}`);
  makeDirOf(resultsFile);
  const byKey = finishedTrials(resultsFile, trials);
  const total = trials.length;
  let done = 0;
  for (const t of trials) {
    const old = byKey.get(t.key);
    if (old) onTrial?.({ kind: 'resumed', trial: t, record: old, done: ++done, total });
  }
  const resumed = byKey.size;
  let ran = 0;
  let failed = 0;
  return {
    trials,
    pending: trials.filter((t) => !byKey.has(t.key)),
    finish(t, result) {
      appendResult(resultsFile, result);
      // What the file holds (NaN becomes null), so fresh and resumed records look the same.
      const record = JSON.parse(JSON.stringify(result)) as TrialRecord;
      ran++;
      if (record.status === 'ok') byKey.set(t.key, record);
      else failed++;
      onTrial?.({ kind: record.status === 'ok' ? 'done' : 'failed', trial: t, record, done: ++done, total });
    },
    summary(aborted) {
      const records = trials.map((t) => byKey.get(t.key)).filter((r): r is TrialRecord => r !== undefined);
      return { records, ran, resumed, failed, aborted };
    },
  };
}

/**
 * Runs every trial of a suite that the results file does not already hold as finished (same key, status ok),
 * up to `workers` at a time, appending one line per trial as it ends. Every trial's config is validated
 * before the first one starts.
 */
export async function runSuite(suite: Suite, options: RunSuiteOptions): Promise<SuiteRun> {
  const workers = options.workers ?? 1;
  if (!(Number.isInteger(workers) && workers >= 0)) throw new WideDeepError('CONFIG', `workers must be an integer >= 0, got ${workers}`, { field: 'workers' });
  const explicit = options.threads;
  if (explicit !== undefined && !(Number.isInteger(explicit) && explicit >= 1)) throw new WideDeepError('CONFIG', `threads must be an integer >= 1, got ${explicit}`, { field: 'threads' });
  const budget = threadsPerTrial(availableCores(), workers);
  const threads: TrialThreads = { budget, ...(explicit !== undefined ? { threads: explicit } : {}) };
  const ledger = openSuiteLedger(suite, options.resultsFile, options.onTrial);
  const { pending, finish } = ledger;
  const children = new Set<ChildProcess>();
  const aborted = () => options.signal?.aborted === true;
  const onAbort = () => {
    for (const c of children) c.kill('SIGKILL');
  };
  options.signal?.addEventListener('abort', onAbort);

  try {
    if (workers === 0) {
      for (const t of pending) {
        if (aborted()) break;
        finish(t, await runTrial(t, threads));
      }
    } else {
      let next = 0;
      const lane = async (): Promise<void> => {
        while (next < pending.length && !aborted()) {
          const t = pending[next++] as TrialSpec;
          let mine: ChildProcess | null = null;
          const t0 = performance.now();
          const record = await runInWorker(t, threads, (c) => {
            if (c) children.add((mine = c));
            else if (mine) children.delete(mine);
          }, aborted).catch((err: unknown) => failedRecord(t, explicit ?? budget, err, (performance.now() - t0) / 1000));
          if (record && !aborted()) finish(t, record);
        }
      };
      await Promise.all(Array.from({ length: Math.min(workers, pending.length) }, lane));
    }
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
  return ledger.summary(aborted());
}
