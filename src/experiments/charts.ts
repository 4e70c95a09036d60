import type { TopLevelSpec } from 'vega-lite';
import { type CalibrationSeries, type CurvePoint, SCHEMA, calibrationSpec, histogramSpec, importanceSpec, learningCurvesSpec, prSpec, rocSpec } from './chart-specs.js';
import type { ScoreHistogram } from './curves.js';
import type { ColumnImportance } from './importance.js';
import { mean, sampleStd } from './stats.js';
import { metricOf, type SuiteSummary, variantsOf } from './summary.js';
import type { TrialRecord } from './trial.js';

/**
 * Vega-Lite specs of the report's charts, built from results records. Each function returns a spec with its
 * data inlined, or null when the records hold nothing to draw. Rendering to SVG is in render.ts.
 */
export interface Chart {
  /** File-name part, e.g. `learning-curves`. */
  readonly id: string;
  readonly title: string;
  readonly spec: TopLevelSpec;
}


function label(metric: string): string {
  const [where, name] = metric.split('.');
  const pretty = name === 'auc' ? 'AUC' : name === 'logLoss' ? 'log loss' : name;
  return `${where} ${pretty}`;
}

const MEASURES = ['train loss', 'validation loss', 'validation AUC'];

/** Train loss, validation loss and validation AUC per epoch, mean over seeds, one line per variant. */
export function learningCurvesChart(suite: string, records: readonly TrialRecord[]): Chart | null {
  const values: CurvePoint[] = [];
  const groups = variantsOf(records);
  for (const g of groups) {
    const epochs = Math.max(0, ...g.records.map((r) => r.history.length));
    for (let e = 0; e < epochs; e++) {
      const at = g.records.map((r) => r.history[e]).filter((h) => h !== undefined);
      const push = (measure: string, xs: number[]) => {
        const v = mean(xs.filter((x) => Number.isFinite(x)));
        if (Number.isFinite(v)) values.push({ series: g.variant, epoch: e + 1, measure, value: v });
      };
      push('train loss', at.map((h) => h.trainLoss));
      push('validation loss', at.map((h) => h.validation?.logLoss ?? Number.NaN));
      push('validation AUC', at.map((h) => h.validation?.auc ?? Number.NaN));
    }
  }
  if (values.length === 0) return null;
  const title = `Learning curves: ${suite}`;
  return { id: 'learning-curves', title, spec: learningCurvesSpec(title, 'mean over seeds per epoch', values, groups.map((g) => g.variant), MEASURES) };
}

/** Mean of the suite's metric per variant with +- one standard deviation, baseline marked. */
export function metricBarsChart(summary: SuiteSummary): Chart | null {
  const values = summary.variants
    .filter((v) => Number.isFinite(v.mean))
    .map((v) => ({ variant: v.variant, mean: v.mean, lo: v.mean - (Number.isFinite(v.std) ? v.std : 0), hi: v.mean + (Number.isFinite(v.std) ? v.std : 0), role: v.isBaseline ? 'baseline' : 'variant' }));
  if (values.length === 0) return null;
  const title = `${label(summary.metric)}: ${summary.suite}`;
  const order = values.map((v) => v.variant);
  // Bars start at 0 so their lengths compare honestly; the printed values and the error bars carry the small
  // differences (often in the third decimal) that a zoomed axis would exaggerate.
  return {
    id: `${summary.metric.replace(/[^A-Za-z0-9]+/g, '-')}-bars`,
    title,
    spec: {
      $schema: SCHEMA,
      title: { text: title, subtitle: 'mean ± std over seeds; best first' },
      data: { values: values.map((v) => ({ ...v, label: v.mean.toFixed(4) })) },
      width: 420,
      height: { step: 22 },
      encoding: { y: { field: 'variant', type: 'nominal', sort: order, title: null, axis: { labelLimit: 320 } } },
      layer: [
        {
          mark: { type: 'bar', opacity: 0.85 },
          encoding: {
            x: { field: 'mean', type: 'quantitative', scale: { zero: true }, title: label(summary.metric) },
            color: { field: 'role', type: 'nominal', scale: { domain: ['baseline', 'variant'], range: ['#e45756', '#4c78a8'] }, legend: { orient: 'bottom', title: null } },
          },
        },
        { mark: { type: 'text', align: 'left', dx: 4, color: 'white', fontSize: 10 }, encoding: { x: { datum: 0, type: 'quantitative' }, text: { field: 'label' } } },
        { mark: { type: 'rule', color: 'black' }, encoding: { x: { field: 'lo', type: 'quantitative' }, x2: { field: 'hi' } } },
        { mark: { type: 'tick', color: 'black', thickness: 1, size: 10 }, encoding: { x: { field: 'lo', type: 'quantitative' } } },
        { mark: { type: 'tick', color: 'black', thickness: 1, size: 10 }, encoding: { x: { field: 'hi', type: 'quantitative' } } },
      ],
    },
  };
}

/** The best variant and the one it is compared with: the baseline, or the runner-up when the baseline is best. */
export function bestVsBaseline(summary: SuiteSummary): [string, string] | null {
  const ranked = summary.variants.filter((v) => Number.isFinite(v.mean));
  const best = ranked[0];
  if (!best) return null;
  const other = best.isBaseline ? ranked[1] : ranked.find((v) => v.isBaseline);
  return other ? [best.variant, other.variant] : null;
}

function recordsOf(records: readonly TrialRecord[], variant: string): TrialRecord[] {
  return records.filter((r) => r.status === 'ok' && r.variant === variant && r.curves);
}

/** Mean of a test metric over a variant's ok records (NaN when none has it). */
function meanMetric(rs: readonly TrialRecord[], path: string): number {
  return mean(rs.map((r) => metricOf(r, path)).filter(Number.isFinite));
}

/** Point-by-point mean over seeds of a curve held on the same grid by every record; null when none has it. */
function meanCurve(rs: readonly TrialRecord[], get: (r: TrialRecord) => readonly number[] | undefined): number[] | null {
  const curves = rs.map(get).filter((c): c is readonly number[] => c !== undefined);
  const first = curves[0];
  if (!first) return null;
  return first.map((_, i) => mean(curves.map((c) => c[i] ?? Number.NaN)));
}

/** ROC curves (TPR averaged over seeds at fixed FPR) of the best variant and the baseline; AUC in the legend. */
export function rocChart(summary: SuiteSummary, records: readonly TrialRecord[]): Chart | null {
  const pair = bestVsBaseline(summary);
  if (!pair) return null;
  const series = [];
  for (const variant of pair) {
    const rs = recordsOf(records, variant);
    const fpr = rs[0]?.curves?.roc.fpr;
    const tpr = meanCurve(rs, (r) => r.curves?.roc.tpr);
    if (!fpr || !tpr) return null;
    series.push({ name: variant, fpr, tpr, auc: meanMetric(rs, 'test.auc') });
  }
  const title = `ROC: ${summary.suite}`;
  return { id: 'roc', title, spec: rocSpec(title, `${pair[0]} vs ${pair[1]} (test set, mean TPR over seeds; legend: mean test AUC)`, series) };
}

/** Precision-recall curves (precision averaged over seeds at fixed recall) of the best variant and the baseline. */
export function prChart(summary: SuiteSummary, records: readonly TrialRecord[]): Chart | null {
  const pair = bestVsBaseline(summary);
  if (!pair) return null;
  const series = [];
  for (const variant of pair) {
    const rs = recordsOf(records, variant).filter((r) => r.curves?.pr);
    const recall = rs[0]?.curves?.pr?.recall;
    const precision = meanCurve(rs, (r) => r.curves?.pr?.precision);
    if (!recall || !precision) return null;
    series.push({ name: variant, recall, precision, averagePrecision: mean(rs.map((r) => r.curves?.pr?.averagePrecision ?? Number.NaN)) });
  }
  const title = `Precision-recall: ${summary.suite}`;
  const rate = positiveRate(records.filter((r) => pair.includes(r.variant)));
  return { id: 'pr', title, spec: prSpec(title, `${pair[0]} vs ${pair[1]} (test set, mean precision over seeds; legend: mean average precision)`, series, rate) };
}

/** Share of positive test rows, from the score histograms (null without them). */
function positiveRate(records: readonly TrialRecord[]): number | null {
  let pos = 0;
  let all = 0;
  for (const r of records) {
    const h = r.status === 'ok' ? r.curves?.histogram : undefined;
    if (!h) continue;
    for (const c of h.positives) pos += c;
    for (const c of h.negatives) all += c;
  }
  all += pos;
  return all > 0 ? pos / all : null;
}

/** Reliability diagrams (10 bins pooled over seeds, rows per bin as point size) of the best variant and the baseline. */
export function calibrationChart(summary: SuiteSummary, records: readonly TrialRecord[]): Chart | null {
  const pair = bestVsBaseline(summary);
  if (!pair) return null;
  const series: CalibrationSeries[] = [];
  for (const variant of pair) {
    const rs = recordsOf(records, variant);
    if (rs.length === 0) return null;
    series.push({ name: variant, bins: pooledBins(rs) });
  }
  const title = `Calibration: ${summary.suite}`;
  return { id: 'calibration', title, spec: calibrationSpec(title, `${pair[0]} vs ${pair[1]} (test set, 10 bins pooled over seeds; point area = rows)`, series) };
}

/** Calibration bins pooled over records: row-weighted means, rows summed. */
function pooledBins(rs: readonly TrialRecord[]): CalibrationSeries['bins'] {
  const out: { predicted: number; observed: number; count: number }[] = [];
  const bins = rs[0]?.curves?.calibration.weight.length ?? 0;
  for (let b = 0; b < bins; b++) {
    let w = 0;
    let p = 0;
    let o = 0;
    for (const r of rs) {
      const c = r.curves?.calibration;
      const wb = c?.weight[b] ?? 0;
      if (!c || wb <= 0) continue;
      w += wb;
      p += wb * (c.meanPrediction[b] ?? 0);
      o += wb * (c.fractionPositive[b] ?? 0);
    }
    if (w > 0) out.push({ predicted: p / w, observed: o / w, count: w });
  }
  return out;
}

/** Score histograms (counts pooled over seeds) of the best variant and the baseline, positives vs negatives. */
export function histogramChart(summary: SuiteSummary, records: readonly TrialRecord[]): Chart | null {
  const pair = bestVsBaseline(summary);
  if (!pair) return null;
  const series = [];
  for (const variant of pair) {
    const hs = recordsOf(records, variant).flatMap((r) => (r.curves?.histogram ? [r.curves.histogram] : []));
    const first = hs[0];
    if (!first) return null;
    const sum = (get: (h: ScoreHistogram) => readonly number[]) => get(first).map((_, b) => hs.reduce((a, h) => a + (get(h)[b] ?? 0), 0));
    series.push({ name: variant, positives: sum((h) => h.positives), negatives: sum((h) => h.negatives) });
  }
  const title = `Score histogram: ${summary.suite}`;
  return { id: 'histogram', title, spec: histogramSpec(title, `${pair[0]} vs ${pair[1]} (test set, pooled over seeds)`, series) };
}

/** A results line with the permutation importance of its test split (trials that record it). */
type WithImportance = TrialRecord & { readonly importance?: readonly ColumnImportance[] | null };

/** Permutation importance of the suite's best variant: mean drop over seeds per column, ± std, largest first. */
export function importanceChart(summary: SuiteSummary, records: readonly TrialRecord[]): Chart | null {
  const best = summary.variants.find((v) => Number.isFinite(v.mean))?.variant;
  const rs = (records as readonly WithImportance[]).filter((r) => r.status === 'ok' && r.variant === best && r.importance);
  const drops = new Map<string, number[]>();
  let metric = '';
  for (const r of rs) {
    for (const c of r.importance ?? []) {
      drops.set(c.column, [...(drops.get(c.column) ?? []), c.drop]);
      metric = c.metric;
    }
  }
  if (drops.size === 0 || best === undefined) return null;
  const rows = [...drops].map(([column, ds]) => ({ column, drop: mean(ds), ...(ds.length > 1 ? { std: sampleStd(ds) } : {}) }));
  const title = `Feature importance: ${summary.suite}`;
  return { id: 'importance', title, spec: importanceSpec(title, `${best}: test ${metric.toUpperCase()} lost when one input column is shuffled (mean over ${rs.length} seed(s))`, rows, metric) };
}

const LONG_TAIL_MEASURES: readonly [string, string, string][] = [
  ['catalogue coverage', 'longTail.coverage', 'longTail.oracle.coverage'],
  ['tail share of top-k', 'longTail.tailShare', 'longTail.oracle.tailShare'],
  ['novelty (bits)', 'longTail.novelty', 'longTail.oracle.novelty'],
  ['true p of recommended', 'longTail.meanTrueProb', 'longTail.oracle.meanTrueProb'],
  ['planted pair effect', 'longTail.pairEffect', 'longTail.pairEffectTrue'],
  ['country x category effect', 'longTail.boostEffect', 'longTail.boostEffectTrue'],
];

/** Long-tail coverage and recovered planted effects per variant, with the truth as a reference bar. */
export function longTailChart(suite: string, records: readonly TrialRecord[]): Chart | null {
  const groups = variantsOf(records).filter((g) => g.records.some((r) => r.longTail));
  if (groups.length === 0) return null;
  const all = groups.flatMap((g) => g.records);
  const values: { variant: string; measure: string; value: number }[] = [];
  for (const [measure, path, truthPath] of LONG_TAIL_MEASURES) {
    for (const g of groups) {
      const v = mean(g.records.map((r) => metricOf(r, path)).filter(Number.isFinite));
      if (Number.isFinite(v)) values.push({ variant: g.variant, measure, value: v });
    }
    const t = mean(all.map((r) => metricOf(r, truthPath)).filter(Number.isFinite));
    if (Number.isFinite(t)) values.push({ variant: 'truth', measure, value: t });
  }
  const title = `Long tail and planted effects: ${suite}`;
  return {
    id: 'long-tail',
    title,
    spec: {
      $schema: SCHEMA,
      title: { text: title, subtitle: 'top-k recommendations for sampled users over the whole catalogue; truth = ranking by the true logit' },
      data: { values },
      facet: { field: 'measure', type: 'nominal', sort: LONG_TAIL_MEASURES.map(([m]) => m), title: null },
      columns: 3,
      spec: {
        width: 200,
        height: { step: 16 },
        mark: { type: 'bar' },
        encoding: {
          y: { field: 'variant', type: 'nominal', title: null, sort: [...groups.map((g) => g.variant), 'truth'] },
          x: { field: 'value', type: 'quantitative', title: null },
          color: { field: 'variant', type: 'nominal', legend: null, scale: { domain: [...groups.map((g) => g.variant), 'truth'] } },
        },
      },
      resolve: { scale: { x: 'independent' } },
    },
  };
}
