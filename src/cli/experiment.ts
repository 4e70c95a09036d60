import { resolve } from 'node:path';
import { WideDeepError } from '../core/errors.js';
import { type Suite, type SuiteRun, type TrialEvent, formatResults, loadSuite, readResults, runSuite, writeReport } from '../experiments/index.js';
import { runSuiteOnQueue } from '../scale/suite-queue.js';
import type { QueueProgress } from '../scale/submit.js';
import { flags, intFlag, log, out, required, threadsFlag } from './args.js';
import { EXPERIMENT_OPTIONS, REPORT_OPTIONS } from './options/experiment.js';

/** One progress line per trial: `[done/total] kind variant seed N test auc ...`. */
function trialLine(e: TrialEvent): void {
  const record = e.record as { test?: { auc?: number } | null; error?: string | null };
  const auc = record.test?.auc;
  const why = typeof record.error === 'string' ? `: ${record.error}` : '';
  log(`[${e.done}/${e.total}] ${e.kind} ${e.trial.variant} seed ${e.trial.seed}${auc !== undefined ? ` test auc ${auc.toFixed(4)}` : ''}${why}`);
}

/** The queue's counts on stderr, at most one line a second (the last one always). */
function queueProgress(): { onProgress: (c: QueueProgress) => void; flush: () => void } {
  let last = 0;
  let pending: QueueProgress | null = null;
  const write = (c: QueueProgress) => log(`queue: ${c.queued} queued, ${c.running} running, ${c.done} done${c.failed > 0 ? `, ${c.failed} failed` : ''}`);
  return {
    onProgress: (c) => {
      pending = c;
      if (Date.now() - last < 1000) return;
      last = Date.now();
      write(c);
      pending = null;
    },
    flush: () => {
      if (pending) write(pending);
      pending = null;
    },
  };
}

function runOnQueue(suite: Suite, queue: string, resultsFile: string, threads: number | undefined, prefix: string | undefined): Promise<SuiteRun> {
  const progress = queueProgress();
  return runSuiteOnQueue(suite, {
    resultsFile,
    queue,
    onTrial: trialLine,
    onProgress: progress.onProgress,
    onWarning: (message) => log(`queue: ${message}`),
    ...(threads !== undefined ? { threads } : {}),
    ...(prefix !== undefined ? { prefix } : {}),
  }).finally(progress.flush);
}

/** Runs a suite (base config x grid of overrides x seeds), resumable, and prints the results table. */
export async function experiment(argv: string[]): Promise<number> {
  const { values } = flags('experiment', argv, EXPERIMENT_OPTIONS);
  const threads = threadsFlag(values.threads);
  const workers = intFlag(values.workers, 'workers');
  if (values.queue !== undefined && workers !== undefined) {
    throw new WideDeepError('CONFIG', '--workers and --queue exclude each other: with --queue, the trials run in `widedeep worker` processes', {
      field: '--workers',
      fix: 'drop --workers (start as many `widedeep worker --queue ...` as you want trials at once), or drop --queue to run them here',
    });
  }
  const suite = loadSuite(required('experiment', values.suite, 'suite'));
  // Trials run in worker processes, which read the data directory from the environment.
  if (values['data-dir'] !== undefined) process.env.WIDEDEEP_DATA_DIR = resolve(values['data-dir']);
  const resultsFile = resolve(values.out ?? `runs/experiments/${suite.name}.jsonl`);
  const run = values.queue !== undefined
    ? await runOnQueue(suite, values.queue, resultsFile, threads, values['queue-prefix'])
    : await runSuite(suite, { resultsFile, workers: workers ?? 1, ...(threads !== undefined ? { threads } : {}), onTrial: trialLine });
  log(`${run.ran} trials ran, ${run.resumed} resumed, ${run.failed} failed; results in ${resultsFile}`);
  out(formatResults(run.records, values.markdown ? 'markdown' : 'terminal'));
  return run.failed > 0 ? 1 : 0;
}

/** Writes the HTML report and SVG charts of a results file. */
export async function report(argv: string[]): Promise<number> {
  const { values, positionals } = flags('report', argv, REPORT_OPTIONS);
  const file = required('report', positionals[0], 'results.jsonl (positional)');
  if (values.table) {
    out(formatResults(readResults(file), 'terminal'));
    return 0;
  }
  const dir = resolve(values.out ?? 'report');
  const r = await writeReport(file, dir);
  log(`report written to ${resolve(dir, "index.html")} (${r.svgs.length} charts)`);
  return 0;
}
