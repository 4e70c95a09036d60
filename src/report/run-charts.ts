import { type CurvePoint, calibrationSpec, histogramSpec, importanceSpec, learningCurvesSpec, prSpec, rocSpec } from '../experiments/chart-specs.js';
import type { Chart } from '../experiments/charts.js';
import type { EpochSummary } from '../experiments/trial.js';
import type { RunRecord } from './run-record.js';

/**
 * The charts of one fit, from its run record alone (run.json): what `fit --report` renders into report.html and
 * what the studio's runs view draws, through the same spec builders as the experiment report
 * (src/experiments/chart-specs.ts). Charts whose data the record lacks (no curves in stream mode, no
 * validation) are left out.
 */
export function runCharts(record: RunRecord): Chart[] {
  const charts = [learningChart(record), rocChart(record), prChart(record), calibrationChart(record), histogramChart(record), importanceChart(record)];
  return charts.filter((c): c is Chart => c !== null);
}

/** The validation measures a run's learning curves show, by objective: [label, metric key]. */
function validationMeasures(record: RunRecord): [string, string][] {
  if (record.objective === 'regression') return [['validation RMSE', 'rmse']];
  if (record.objective === 'binary') return [['validation loss', 'logLoss'], ['validation AUC', 'auc']];
  return [['validation loss', 'logLoss'], ['validation accuracy', 'accuracy']];
}

function learningChart(record: RunRecord): Chart | null {
  const values: CurvePoint[] = [];
  const measures = validationMeasures(record);
  const push = (series: string, h: readonly EpochSummary[]) => {
    for (const e of h) {
      if (Number.isFinite(e.trainLoss)) values.push({ series, epoch: e.epoch + 1, measure: 'train loss', value: e.trainLoss });
      for (const [label, key] of measures) {
        const v = e.validation?.[key];
        if (v !== undefined && Number.isFinite(v)) values.push({ series, epoch: e.epoch + 1, measure: label, value: v });
      }
    }
  };
  push(record.name, record.history);
  if (record.refit) push('refit (all training rows)', record.refit.history);
  if (values.length === 0) return null;
  const series = [record.name, ...(record.refit ? ['refit (all training rows)'] : [])];
  const shown = ['train loss', ...measures.map(([l]) => l)].filter((m) => values.some((v) => v.measure === m));
  const title = `Learning curves: ${record.name}`;
  return { id: 'learning-curves', title, spec: learningCurvesSpec(title, 'per epoch', values, series, shown) };
}

function rocChart(record: RunRecord): Chart | null {
  const c = record.curves;
  if (!c) return null;
  const title = `ROC: ${record.name}`;
  return { id: 'roc', title, spec: rocSpec(title, 'test set', [{ name: record.name, fpr: c.roc.fpr, tpr: c.roc.tpr, auc: record.test?.['auc'] ?? null }]) };
}

function prChart(record: RunRecord): Chart | null {
  const pr = record.curves?.pr;
  if (!pr) return null;
  const h = record.curves?.histogram;
  const pos = h ? h.positives.reduce((a, b) => a + b, 0) : 0;
  const all = h ? pos + h.negatives.reduce((a, b) => a + b, 0) : 0;
  const title = `Precision-recall: ${record.name}`;
  const series = [{ name: record.name, recall: pr.recall, precision: pr.precision, averagePrecision: pr.averagePrecision }];
  return { id: 'pr', title, spec: prSpec(title, 'test set; dashed: the share of positives (no skill)', series, all > 0 ? pos / all : null) };
}

function calibrationChart(record: RunRecord): Chart | null {
  const c = record.curves?.calibration;
  if (!c) return null;
  const bins = c.weight.flatMap((count, b) => {
    const predicted = c.meanPrediction[b];
    const observed = c.fractionPositive[b];
    return count > 0 && typeof predicted === 'number' && typeof observed === 'number' ? [{ predicted, observed, count }] : [];
  });
  const title = `Calibration: ${record.name}`;
  return { id: 'calibration', title, spec: calibrationSpec(title, `test set, ${c.weight.length} bins; point area = rows`, [{ name: record.name, bins }]) };
}

function histogramChart(record: RunRecord): Chart | null {
  const h = record.curves?.histogram;
  if (!h) return null;
  const title = `Score histogram: ${record.name}`;
  return { id: 'histogram', title, spec: histogramSpec(title, 'test set: positives vs negatives', [{ name: record.name, positives: h.positives, negatives: h.negatives }]) };
}

function importanceChart(record: RunRecord): Chart | null {
  const rows = record.importance;
  const metric = rows?.[0]?.metric;
  if (!rows || metric === undefined) return null;
  const title = `Feature importance: ${record.name}`;
  return { id: 'importance', title, spec: importanceSpec(title, `test ${metric.toUpperCase()} lost when one input column is shuffled (permutation importance)`, rows, metric) };
}
