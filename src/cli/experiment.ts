import { resolve } from 'node:path';
import { formatResults, loadSuite, readResults, runSuite, writeReport } from '../experiments/index.js';
import { THREADS_OPTION, flags, intFlag, log, out, required, threadsFlag } from './args.js';

export const EXPERIMENT_OPTIONS = {
  suite: { type: 'string', value: 'name|file.yaml', required: true, help: 'a built-in suite (examples/suites/) or a suite file (docs/EXPERIMENTS.md)' },
  out: { type: 'string', value: 'results.jsonl', help: 'the results file, one line per trial; a rerun resumes it', shown: 'runs/experiments/<suite>.jsonl' },
  workers: { type: 'string', value: 'n', help: 'trials run at once, each in its own process', shown: '1' },
  ...THREADS_OPTION,
  markdown: { type: 'boolean', default: false, help: 'print the results table as Markdown' },
  'data-dir': { type: 'string', value: 'dir', help: 'where the built-in datasets live', shown: '$WIDEDEEP_DATA_DIR, else ../shared/data' },
} as const;

export const REPORT_OPTIONS = {
  out: { type: 'string', value: 'dir', help: 'where index.html and the SVG charts go', shown: 'report' },
  table: { type: 'boolean', default: false, help: 'print the results table instead of writing the report' },
} as const;

/** Runs a suite (base config x grid of overrides x seeds), resumable, and prints the results table. */
export async function experiment(argv: string[]): Promise<number> {
  const { values } = flags('experiment', argv, EXPERIMENT_OPTIONS);
  const threads = threadsFlag(values.threads);
  const suite = loadSuite(required('experiment', values.suite, 'suite'));
  // Trials run in worker processes, which read the data directory from the environment.
  if (values['data-dir'] !== undefined) process.env.WIDEDEEP_DATA_DIR = resolve(values['data-dir']);
  const resultsFile = resolve(values.out ?? `runs/experiments/${suite.name}.jsonl`);
  const run = await runSuite(suite, {
    resultsFile,
    workers: intFlag(values.workers, 'workers') ?? 1,
    ...(threads !== undefined ? { threads } : {}),
    onTrial: (e) => {
      const record = e.record as { test?: { auc?: number } | null; error?: string | null };
      const auc = record.test?.auc;
      const why = typeof record.error === 'string' ? `: ${record.error}` : '';
      log(`[${e.done}/${e.total}] ${e.kind} ${e.trial.variant} seed ${e.trial.seed}${auc !== undefined ? ` test auc ${auc.toFixed(4)}` : ''}${why}`);
    },
  });
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
