import { join } from 'node:path';
import { WideDeepError } from '../core/errors.js';
import type { Chart } from '../experiments/charts.js';
import { suiteCharts } from '../experiments/report.js';
import { readResults } from '../experiments/results-file.js';
import { bySuite, metricOf, summarizeSuite, type SuiteSummary } from '../experiments/summary.js';
import { resultsTable, type Table } from '../experiments/tables.js';
import type { TrialRecord } from '../experiments/trial.js';
import { findRunFiles } from './runs-index.js';

/**
 * The studio's experiments view: every suite of every results file under --runs, summarised exactly as
 * `widedeep report` summarises it (summarizeSuite: mean +- std over seeds, paired t-test p-values against the
 * baseline; resultsTable; suiteCharts), with the trials behind each variant's point as run ids the runs view
 * opens (`trial:<file>#<n>`, runs.ts).
 */

export interface TrialPoint {
  readonly id: string;
  readonly seed: number;
  readonly status: 'ok' | 'failed';
  /** The suite's metric for this trial (NaN, sent as null, when it failed). */
  readonly value: number | null;
  readonly error: string | null;
}

export interface SuiteView {
  /** The results file, relative to the runs root. */
  readonly file: string;
  readonly suite: string;
  readonly summary: SuiteSummary;
  /** The report's results table (cells as `widedeep report` prints them). */
  readonly table: Table;
  readonly charts: readonly Chart[];
  /** Per variant (suite order), the trials behind its point. */
  readonly points: readonly { readonly variant: string; readonly trials: readonly TrialPoint[] }[];
}

export interface ExperimentsView {
  readonly suites: readonly SuiteView[];
  readonly errors: readonly { readonly path: string; readonly error: string }[];
}

function pointsOf(file: string, records: readonly TrialRecord[], index: ReadonlyMap<TrialRecord, number>, metric: string): SuiteView['points'] {
  const variants = new Map<string, TrialPoint[]>();
  const order = [...records].sort((a, b) => a.variantIndex - b.variantIndex || a.seed - b.seed);
  for (const r of order) {
    const list = variants.get(r.variant) ?? [];
    const value = metricOf(r, metric);
    list.push({ id: `trial:${file}#${index.get(r) as number}`, seed: r.seed, status: r.status, value: Number.isFinite(value) ? value : null, error: r.error });
    variants.set(r.variant, list);
  }
  return [...variants].map(([variant, trials]) => ({ variant, trials }));
}

/** The suites of one results file (relative to root). */
export function suitesOfFile(root: string, file: string): SuiteView[] {
  const records = readResults(join(root, file));
  const index = new Map(records.map((r, i) => [r, i]));
  return [...bySuite(records)].map(([suite, rs]) => {
    const summary = summarizeSuite(rs);
    return { file, suite, summary, table: resultsTable(summary), charts: suiteCharts(suite, rs), points: pointsOf(file, rs, index, summary.metric) };
  });
}

/** Every suite under root; files that cannot be read are listed with their error. */
export function experimentsView(root: string): ExperimentsView {
  const found = findRunFiles(root);
  const suites: SuiteView[] = [];
  const errors = [...found.errors];
  for (const file of found.results) {
    try {
      suites.push(...suitesOfFile(root, file));
    } catch (err) {
      errors.push({ path: file, error: err instanceof WideDeepError ? err.reason : (err as Error).message });
    }
  }
  return { suites, errors };
}
