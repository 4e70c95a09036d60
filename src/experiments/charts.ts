import type { TopLevelSpec } from 'vega-lite';
import { mean } from './stats.js';
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

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const WIDTH = 260;

function label(metric: string): string {
  const [where, name] = metric.split('.');
  const pretty = name === 'auc' ? 'AUC' : name === 'logLoss' ? 'log loss' : name;
  return `${where} ${pretty}`;
}

/** Train loss, validation loss and validation AUC per epoch, mean over seeds, one line per variant. */
export function learningCurvesChart(suite: string, records: readonly TrialRecord[]): Chart | null {
  const values: { variant: string; epoch: number; measure: string; value: number }[] = [];
  const groups = variantsOf(records);
  for (const g of groups) {
    const epochs = Math.max(0, ...g.records.map((r) => r.history.length));
    for (let e = 0; e < epochs; e++) {
      const at = g.records.map((r) => r.history[e]).filter((h) => h !== undefined);
      const push = (measure: string, xs: number[]) => {
        const v = mean(xs.filter((x) => Number.isFinite(x)));
        if (Number.isFinite(v)) values.push({ variant: g.variant, epoch: e + 1, measure, value: v });
      };
      push('train loss', at.map((h) => h.trainLoss));
      push('validation loss', at.map((h) => h.validation?.logLoss ?? Number.NaN));
      push('validation AUC', at.map((h) => h.validation?.auc ?? Number.NaN));
    }
  }
  if (values.length === 0) return null;
  const title = `Learning curves: ${suite}`;
  return {
    id: 'learning-curves',
    title,
    spec: {
      $schema: SCHEMA,
      title: { text: title, subtitle: 'mean over seeds per epoch' },
      data: { values },
      facet: { column: { field: 'measure', type: 'nominal', sort: ['train loss', 'validation loss', 'validation AUC'], title: null } },
      spec: {
        width: WIDTH,
        height: 200,
        // Points only while they stay readable (and the SVG small).
        mark: { type: 'line', point: groups.length <= 6 },
        encoding: {
          x: { field: 'epoch', type: 'quantitative', axis: { tickMinStep: 1, format: 'd' } },
          y: { field: 'value', type: 'quantitative', scale: { zero: false }, title: null },
          color: { field: 'variant', type: 'nominal', scale: { domain: groups.map((g) => g.variant) }, legend: { orient: 'bottom', columns: 3, labelLimit: 260 } },
        },
      },
      resolve: { scale: { y: 'independent' } },
    },
  };
}

/** Mean of the suite's metric per variant with +- one standard deviation, baseline marked. */
export function metricBarsChart(summary: SuiteSummary): Chart | null {
  const values = summary.variants
    .filter((v) => Number.isFinite(v.mean))
    .map((v) => ({ variant: v.variant, mean: v.mean, lo: v.mean - (Number.isFinite(v.std) ? v.std : 0), hi: v.mean + (Number.isFinite(v.std) ? v.std : 0), role: v.isBaseline ? 'baseline' : 'variant' }));
  if (values.length === 0) return null;
  const title = `${label(summary.metric)}: ${summary.suite}`;
  const order = values.map((v) => v.variant);
  // Zoom on the values (differences are often in the third decimal); bars are clipped at the left edge.
  const lo = Math.min(...values.map((v) => v.lo));
  const hi = Math.max(...values.map((v) => v.hi));
  const pad = Math.max((hi - lo) * 0.15, Math.abs(hi) * 1e-3, 1e-6);
  return {
    id: `${summary.metric.replace(/[^A-Za-z0-9]+/g, '-')}-bars`,
    title,
    spec: {
      $schema: SCHEMA,
      title: { text: title, subtitle: 'mean ± std over seeds; best first' },
      data: { values },
      width: 420,
      height: { step: 22 },
      encoding: { y: { field: 'variant', type: 'nominal', sort: order, title: null, axis: { labelLimit: 320 } } },
      layer: [
        {
          mark: { type: 'bar', opacity: 0.85, clip: true },
          encoding: {
            x: { field: 'mean', type: 'quantitative', scale: { zero: false, nice: false, domain: [lo - pad, hi + pad] }, title: label(summary.metric) },
            color: { field: 'role', type: 'nominal', scale: { domain: ['baseline', 'variant'], range: ['#e45756', '#4c78a8'] }, legend: { orient: 'bottom', title: null } },
          },
        },
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

/** ROC curves (TPR averaged over seeds at fixed FPR) of the best variant and the baseline. */
export function rocChart(summary: SuiteSummary, records: readonly TrialRecord[]): Chart | null {
  const pair = bestVsBaseline(summary);
  if (!pair) return null;
  const values: { variant: string; fpr: number; tpr: number }[] = [];
  for (const variant of pair) {
    const rs = recordsOf(records, variant);
    const grid = rs[0]?.curves?.roc.fpr;
    if (!grid) return null;
    grid.forEach((fpr, i) => values.push({ variant, fpr, tpr: mean(rs.map((r) => r.curves?.roc.tpr[i] ?? Number.NaN)) }));
  }
  const title = `ROC: ${summary.suite}`;
  return {
    id: 'roc',
    title,
    spec: {
      $schema: SCHEMA,
      title: { text: title, subtitle: `${pair[0]} vs ${pair[1]} (test set, mean TPR over seeds)` },
      width: 300,
      height: 300,
      layer: [
        { data: { values: [{ x: 0, y: 0 }, { x: 1, y: 1 }] }, mark: { type: 'line', color: '#aaa', strokeDash: [4, 4] }, encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } } },
        {
          data: { values },
          mark: { type: 'line' },
          encoding: {
            x: { field: 'fpr', type: 'quantitative', title: 'false positive rate', scale: { domain: [0, 1] } },
            y: { field: 'tpr', type: 'quantitative', title: 'true positive rate', scale: { domain: [0, 1] } },
            color: { field: 'variant', type: 'nominal', sort: pair, legend: { orient: 'bottom', title: null, labelLimit: 300 } },
          },
        },
      ],
    },
  };
}

/** Reliability diagrams (10 bins pooled over seeds) of the best variant and the baseline. */
export function calibrationChart(summary: SuiteSummary, records: readonly TrialRecord[]): Chart | null {
  const pair = bestVsBaseline(summary);
  if (!pair) return null;
  const values: { variant: string; predicted: number; observed: number; count: number }[] = [];
  for (const variant of pair) {
    const rs = recordsOf(records, variant);
    if (rs.length === 0) return null;
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
      if (w > 0) values.push({ variant, predicted: p / w, observed: o / w, count: w });
    }
  }
  const title = `Calibration: ${summary.suite}`;
  return {
    id: 'calibration',
    title,
    spec: {
      $schema: SCHEMA,
      title: { text: title, subtitle: `${pair[0]} vs ${pair[1]} (test set, 10 bins pooled over seeds)` },
      width: 300,
      height: 300,
      layer: [
        { data: { values: [{ x: 0, y: 0 }, { x: 1, y: 1 }] }, mark: { type: 'line', color: '#aaa', strokeDash: [4, 4] }, encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } } },
        {
          data: { values },
          mark: { type: 'line', point: true },
          encoding: {
            x: { field: 'predicted', type: 'quantitative', title: 'mean predicted probability', scale: { domain: [0, 1] } },
            y: { field: 'observed', type: 'quantitative', title: 'fraction positive', scale: { domain: [0, 1] } },
            color: { field: 'variant', type: 'nominal', sort: pair, legend: { orient: 'bottom', title: null, labelLimit: 300 } },
          },
        },
      ],
    },
  };
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
