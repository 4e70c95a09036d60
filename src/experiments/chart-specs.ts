import type { TopLevelSpec } from 'vega-lite';

/**
 * Vega-Lite specs of the curve charts, built from plain series: the experiment report (charts.ts, series =
 * variants averaged over seeds) and a fit's run page (src/report/run-charts.ts, series = the run) draw the
 * same charts from these. Each series' legend label carries its summary number (`joint (AUC 0.912)`).
 *
 * Identical curves stay visible: series differ in colour, stroke dash and width (the first a wide solid band,
 * the others thin dashed lines drawn on it) at 0.85 opacity, so a curve lying on another shows both.
 * Overlaying keeps the comparison in one frame, which faceting would lose; the ROC curves of two near-equal
 * variants (the memorization suite's deep and joint models) are the case that mattered.
 */

export const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
/** Stroke dash per series, in order: solid, long dash, dots, dash-dot. */
const DASHES = [[1, 0], [7, 4], [2, 3], [9, 3, 2, 3]];
/** The grey dashed no-skill line from (0, y0) to (1, y1). */
function noSkill(y0: number, y1: number) {
  return { data: { values: [{ x: 0, y: y0 }, { x: 1, y: y1 }] }, mark: { type: 'line' as const, color: '#aaa', strokeDash: [4, 4] }, encoding: { x: { field: 'x', type: 'quantitative' as const }, y: { field: 'y', type: 'quantitative' as const } } };
}

/** An axis over [0, 1]. */
function unit(field: string, title: string) {
  return { field, type: 'quantitative' as const, title, scale: { domain: [0, 1] } };
}

/** A 300 x 300 chart of layers on the unit square (ROC, precision-recall, calibration). */
function unitSquare(title: string, subtitle: string, layer: NonNullable<Extract<TopLevelSpec, { layer: unknown }>['layer']>): TopLevelSpec {
  return { $schema: SCHEMA, title: { text: title, subtitle }, width: 300, height: 300, layer };
}

/** A number for a legend: 3 decimals. */
export function fmt3(v: number | null | undefined): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(3);
}

/** `name (AUC 0.912)`, or the name alone when the number is unknown. */
export function seriesLabel(name: string, what: string, v: number | null | undefined): string {
  return v === null || v === undefined || !Number.isFinite(v) ? name : `${name} (${what} ${fmt3(v)})`;
}

/** Colour and dash of each series, legend at the bottom, labels in series order. */
function seriesEncoding(labels: readonly string[]) {
  const legend = { orient: 'bottom' as const, title: null, labelLimit: 320, symbolStrokeWidth: 2 };
  return {
    color: { field: 'series', type: 'nominal' as const, sort: [...labels], scale: { domain: [...labels] }, legend },
    strokeDash: { field: 'series', type: 'nominal' as const, sort: [...labels], scale: { domain: [...labels], range: labels.map((_, i) => DASHES[i % DASHES.length] as number[]) }, legend },
    // The first series is a wide band, the others thin lines on top of it: a curve on top of another shows
    // its colour in the band's middle, and the band's edges stay visible around it.
    strokeWidth: { field: 'series', type: 'nominal' as const, sort: [...labels], scale: { domain: [...labels], range: labels.map((_, i) => (i === 0 ? 4.5 : 2)) }, legend },
  };
}

export interface RocSeries {
  readonly name: string;
  readonly fpr: readonly number[];
  readonly tpr: readonly number[];
  /** The test AUC shown in the legend (the exact one, not the area under the grid). */
  readonly auc: number | null;
}

/** ROC curves on the unit square with the diagonal; legend `name (AUC x)`. */
export function rocSpec(title: string, subtitle: string, series: readonly RocSeries[]): TopLevelSpec {
  const labels = series.map((s) => seriesLabel(s.name, 'AUC', s.auc));
  const values = series.flatMap((s, k) => s.fpr.map((fpr, i) => ({ series: labels[k], fpr, tpr: s.tpr[i] })));
  return unitSquare(title, subtitle, [
    noSkill(0, 1),
    { data: { values }, mark: { type: 'line', opacity: 0.85 }, encoding: { x: unit('fpr', 'false positive rate'), y: unit('tpr', 'true positive rate'), ...seriesEncoding(labels) } },
  ]);
}

export interface PrSeries {
  readonly name: string;
  readonly recall: readonly number[];
  readonly precision: readonly number[];
  readonly averagePrecision: number | null;
}

/** Precision-recall curves with each series' positive rate as its no-skill line; legend `name (AP x)`. */
export function prSpec(title: string, subtitle: string, series: readonly PrSeries[], positiveRate: number | null): TopLevelSpec {
  const labels = series.map((s) => seriesLabel(s.name, 'AP', s.averagePrecision));
  const values = series.flatMap((s, k) => s.recall.map((recall, i) => ({ series: labels[k], recall, precision: s.precision[i] })));
  return unitSquare(title, subtitle, [
    ...(positiveRate === null ? [] : [noSkill(positiveRate, positiveRate)]),
    { data: { values }, mark: { type: 'line', opacity: 0.85, interpolate: 'step-after' }, encoding: { x: unit('recall', 'recall'), y: unit('precision', 'precision'), ...seriesEncoding(labels) } },
  ]);
}

export interface CalibrationSeries {
  readonly name: string;
  /** Non-empty bins: mean prediction, fraction positive, rows. */
  readonly bins: readonly { readonly predicted: number; readonly observed: number; readonly count: number }[];
}

/** Expected calibration error of binned rows: the row-weighted mean of |mean predicted - fraction positive|. */
export function eceOf(bins: CalibrationSeries['bins']): number {
  let rows = 0;
  let sum = 0;
  for (const b of bins) {
    rows += b.count;
    sum += b.count * Math.abs(b.predicted - b.observed);
  }
  return rows > 0 ? sum / rows : Number.NaN;
}

/**
 * Reliability diagrams: a line through the bins, each bin a point whose area is its row count (legend
 * "rows"), with the count in the tooltip; legend `name (ECE x)`, the expected calibration error of the bins.
 */
export function calibrationSpec(title: string, subtitle: string, series: readonly CalibrationSeries[]): TopLevelSpec {
  const labels = series.map((s) => seriesLabel(s.name, 'ECE', eceOf(s.bins)));
  const values = series.flatMap((s, k) => s.bins.map((b) => ({ series: labels[k], ...b })));
  const x = unit('predicted', 'mean predicted probability');
  const y = unit('observed', 'fraction positive');
  const enc = seriesEncoding(labels);
  return unitSquare(title, subtitle, [
    noSkill(0, 1),
    { data: { values }, mark: { type: 'line', opacity: 0.85 }, encoding: { x, y, ...enc } },
    {
      data: { values },
      mark: { type: 'point', filled: true, opacity: 0.7 },
      encoding: {
        x,
        y,
        color: enc.color,
        size: { field: 'count', type: 'quantitative', title: 'rows', scale: { type: 'sqrt', zero: true, range: [4, 400] }, legend: { orient: 'right', format: '~s' } },
        tooltip: [
          { field: 'series', type: 'nominal', title: 'series' },
          { field: 'predicted', type: 'quantitative', title: 'mean predicted', format: '.3f' },
          { field: 'observed', type: 'quantitative', title: 'fraction positive', format: '.3f' },
          { field: 'count', type: 'quantitative', title: 'rows', format: ',' },
        ],
      },
    },
  ]);
}

export interface HistogramSeries {
  readonly name: string;
  readonly positives: readonly number[];
  readonly negatives: readonly number[];
}

/**
 * Score histograms, one panel per series: per bin of the predicted probability the share of each class's
 * rows falling in it (positives vs negatives, overlaid), so a rare class is as visible as a common one; the
 * counts are in the tooltip.
 */
export function histogramSpec(title: string, subtitle: string, series: readonly HistogramSeries[]): TopLevelSpec {
  const values: { series: string; class: string; lo: number; hi: number; count: number; share: number }[] = [];
  for (const s of series) {
    const bins = s.positives.length;
    for (const [cls, counts] of [['negatives', s.negatives], ['positives', s.positives]] as const) {
      const total = counts.reduce((a, c) => a + c, 0);
      counts.forEach((count, b) => values.push({ series: s.name, class: cls, lo: b / bins, hi: (b + 1) / bins, count, share: total > 0 ? count / total : 0 }));
    }
  }
  return {
    $schema: SCHEMA,
    title: { text: title, subtitle },
    data: { values },
    facet: { row: { field: 'series', type: 'nominal', sort: series.map((s) => s.name), title: null } },
    spec: {
      width: 300,
      height: 120,
      mark: { type: 'rect', opacity: 0.55 },
      encoding: {
        x: { field: 'lo', type: 'quantitative', title: 'predicted probability', scale: { domain: [0, 1] } },
        x2: { field: 'hi' },
        y: { field: 'share', type: 'quantitative', title: "share of the class's rows", stack: null, axis: { format: '%' } },
        color: { field: 'class', type: 'nominal', scale: { domain: ['negatives', 'positives'], range: ['#4c78a8', '#f58518'] }, legend: { orient: 'bottom', title: null } },
        tooltip: [
          { field: 'class', type: 'nominal' },
          { field: 'lo', type: 'quantitative', title: 'from', format: '.2f' },
          { field: 'hi', type: 'quantitative', title: 'to', format: '.2f' },
          { field: 'count', type: 'quantitative', title: 'rows', format: ',' },
        ],
      },
    },
  };
}

export interface ImportanceRow {
  readonly column: string;
  /** Mean drop of the metric when the column is permuted (positive: the model uses the column). */
  readonly drop: number;
  /** Standard deviation over seeds, when several. */
  readonly std?: number;
}

/** Permutation importance: one bar per input column, largest drop first, value printed at the bar's end. */
export function importanceSpec(title: string, subtitle: string, rows: readonly ImportanceRow[], metric: string): TopLevelSpec {
  const sorted = [...rows].sort((a, b) => b.drop - a.drop);
  const values = sorted.map((r) => ({ column: r.column, drop: r.drop, lo: r.drop - (r.std ?? 0), hi: r.drop + (r.std ?? 0), label: r.drop.toFixed(4) }));
  const x = { field: 'drop', type: 'quantitative' as const, title: `test ${metric.toUpperCase()} lost when the column is shuffled`, scale: { zero: true } };
  return {
    $schema: SCHEMA,
    title: { text: title, subtitle },
    data: { values },
    width: 360,
    height: { step: 18 },
    encoding: { y: { field: 'column', type: 'nominal', sort: sorted.map((r) => r.column), title: null, axis: { labelLimit: 240 } } },
    layer: [
      { mark: { type: 'bar', color: '#4c78a8' }, encoding: { x, tooltip: [{ field: 'column', type: 'nominal' }, { field: 'drop', type: 'quantitative', format: '.4f' }] } },
      ...(rows.some((r) => r.std !== undefined) ? [{ mark: { type: 'rule' as const, color: 'black' }, encoding: { x: { field: 'lo', type: 'quantitative' as const }, x2: { field: 'hi' } } }] : []),
      { mark: { type: 'text', align: 'left', dx: 3, fontSize: 9 }, encoding: { x: { field: 'drop', type: 'quantitative' }, text: { field: 'label' } } },
    ],
  };
}

/** One value of a learning-curve panel. */
export interface CurvePoint {
  readonly series: string;
  readonly epoch: number;
  readonly measure: string;
  readonly value: number;
}

/** Learning curves: one panel per measure (independent y scales), one line per series. */
export function learningCurvesSpec(title: string, subtitle: string, values: readonly CurvePoint[], series: readonly string[], measures: readonly string[]): TopLevelSpec {
  return {
    $schema: SCHEMA,
    title: { text: title, subtitle },
    data: { values: values.map((v) => ({ variant: v.series, epoch: v.epoch, measure: v.measure, value: v.value })) },
    facet: { column: { field: 'measure', type: 'nominal', sort: [...measures], title: null } },
    spec: {
      width: 260,
      height: 200,
      // Points only while they stay readable (and the SVG small).
      mark: { type: 'line', point: series.length <= 6 },
      encoding: {
        x: { field: 'epoch', type: 'quantitative', axis: { tickMinStep: 1, format: 'd' } },
        y: { field: 'value', type: 'quantitative', scale: { zero: false }, title: null },
        color: { field: 'variant', type: 'nominal', scale: { domain: [...series] }, legend: { orient: 'bottom', columns: 3, labelLimit: 260, title: null } },
      },
    },
    resolve: { scale: { y: 'independent' } },
  };
}
