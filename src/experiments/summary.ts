import { mean, pairedTTest, sampleStd } from './stats.js';
import type { TrialRecord } from './trial.js';

/** One variant of a suite over its seeds, compared with the baseline by a paired t-test over common seeds. */
export interface VariantSummary {
  readonly variant: string;
  readonly variantIndex: number;
  readonly isBaseline: boolean;
  readonly seeds: readonly number[];
  readonly values: readonly number[];
  readonly mean: number;
  readonly std: number;
  /** Mean of (variant - baseline) over the seeds both have; null for the baseline itself. */
  readonly diff: number | null;
  readonly t: number | null;
  readonly p: number | null;
  readonly pairs: number;
  readonly rowsPerSec: number;
  readonly seconds: number;
  readonly peakRssMB: number;
}

export interface SuiteSummary {
  readonly suite: string;
  readonly metric: string;
  readonly baseline: string;
  readonly higherIsBetter: boolean;
  /** Best first. */
  readonly variants: readonly VariantSummary[];
  readonly trials: number;
  readonly failed: number;
}

/** Lower is better for losses and errors; higher for everything else (AUC, accuracy, NDCG, coverage, ...). */
export function higherIsBetter(metric: string): boolean {
  return !/(loss|rmse|mae|error|seconds)$/i.test(metric);
}

/** Reads `test.auc`, `validation.logLoss`, `longTail.coverage`, ... from a record; NaN when absent. */
export function metricOf(record: TrialRecord, metric: string): number {
  let v: unknown = record;
  for (const part of metric.split('.')) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[part] : undefined;
  return typeof v === 'number' ? v : Number.NaN;
}

/** Groups records by suite (in order of appearance). */
export function bySuite(records: readonly TrialRecord[]): Map<string, TrialRecord[]> {
  const out = new Map<string, TrialRecord[]>();
  for (const r of records) {
    const list = out.get(r.suite) ?? [];
    list.push(r);
    out.set(r.suite, list);
  }
  return out;
}

/** Variants of one suite's records, in suite order, each with its ok records sorted by seed. */
export function variantsOf(records: readonly TrialRecord[]): { variant: string; variantIndex: number; records: TrialRecord[] }[] {
  const map = new Map<string, { variant: string; variantIndex: number; records: TrialRecord[] }>();
  for (const r of records) {
    if (r.status !== 'ok') continue;
    const v = map.get(r.variant) ?? { variant: r.variant, variantIndex: r.variantIndex, records: [] };
    // A results file appended to twice may hold a trial twice: keep the first.
    if (!v.records.some((x) => x.seed === r.seed)) v.records.push(r);
    map.set(r.variant, v);
  }
  for (const v of map.values()) v.records.sort((a, b) => a.seed - b.seed);
  return [...map.values()].sort((a, b) => a.variantIndex - b.variantIndex);
}

/** Mean +- std over seeds per variant and the paired difference to the baseline, best variant first. */
export function summarizeSuite(records: readonly TrialRecord[], options: { metric?: string; baseline?: string } = {}): SuiteSummary {
  const first = records[0];
  const suite = first?.suite ?? '';
  const metric = options.metric ?? first?.metric ?? 'test.auc';
  const baseline = options.baseline ?? first?.baseline ?? '';
  const up = higherIsBetter(metric);
  const groups = variantsOf(records);
  const base = groups.find((g) => g.variant === baseline);
  const baseBySeed = new Map((base?.records ?? []).map((r) => [r.seed, metricOf(r, metric)]));
  const variants = groups.map((g): VariantSummary => {
    const values = g.records.map((r) => metricOf(r, metric));
    const isBaseline = g.variant === baseline;
    const a: number[] = [];
    const b: number[] = [];
    g.records.forEach((r, i) => {
      const bv = baseBySeed.get(r.seed);
      if (bv !== undefined && Number.isFinite(bv) && Number.isFinite(values[i] as number)) {
        a.push(bv);
        b.push(values[i] as number);
      }
    });
    const test = !isBaseline && a.length > 0 ? pairedTTest(a, b) : null;
    return {
      variant: g.variant,
      variantIndex: g.variantIndex,
      isBaseline,
      seeds: g.records.map((r) => r.seed),
      values,
      mean: mean(values),
      std: sampleStd(values),
      diff: test ? test.meanDiff : null,
      t: test && Number.isFinite(test.p) ? test.t : null,
      p: test && Number.isFinite(test.p) ? test.p : null,
      pairs: a.length,
      rowsPerSec: mean(g.records.map((r) => r.rowsPerSec ?? Number.NaN)),
      seconds: mean(g.records.map((r) => r.seconds)),
      peakRssMB: Math.max(...g.records.map((r) => r.peakRssMB)),
    };
  });
  const key = (v: VariantSummary) => (Number.isNaN(v.mean) ? -Infinity : up ? v.mean : -v.mean);
  variants.sort((x, y) => key(y) - key(x) || x.variantIndex - y.variantIndex);
  return { suite, metric, baseline, higherIsBetter: up, variants, trials: records.length, failed: records.filter((r) => r.status !== 'ok').length };
}
