import type { Chart } from '../experiments/charts.js';
import type { TrialRecord } from '../experiments/trial.js';
import { runCharts } from '../report/run-charts.js';
import type { RunRecord } from '../report/run-record.js';
import type { FoundRun } from './runs.js';

/**
 * The charts of one run, as Vega-Lite specs the page draws with vega-embed: the run page's charts
 * (src/report/run-charts.ts: learning curves, ROC, PR, calibration with counts, score histogram, feature
 * importance), from a fit's run.json, or from an experiment trial's line, whose fields a run record shares.
 */

/** A trial's line as a run record: the fields both have, nothing where the trial recorded none. */
export function trialAsRunRecord(t: TrialRecord, name: string): RunRecord {
  return {
    format: 1,
    kind: 'fit',
    name,
    createdAt: '',
    config: t.config,
    dataFingerprint: t.dataFingerprint,
    seed: t.seed,
    objective: t.objective ?? 'binary',
    history: t.history,
    refit: t.refit ?? null,
    validation: t.validation,
    test: t.test,
    curves: t.curves,
    importance: null,
    parameters: [],
    seconds: t.seconds,
    rowsPerSec: t.rowsPerSec,
    peakRssMB: t.peakRssMB,
    threads: t.threads,
    library: t.library,
    node: t.node,
    model: '',
  };
}

export function runChartsOf(run: FoundRun): Chart[] {
  return runCharts(run.summary.kind === 'fit' ? (run.record as RunRecord) : trialAsRunRecord(run.record as TrialRecord, run.summary.name));
}
