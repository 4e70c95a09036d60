/** Which way a metric gets better: `max` (auc, accuracy, ndcg@10, ...) or `min` (losses and errors). */
export type MetricDirection = 'max' | 'min';

/**
 * The direction of every metric the metric sets report that has one, by name (ranking metrics without their
 * `@k`). Counts, means, `eventRate` and `calibration` (best at 1) have none: early stopping on them needs an
 * explicit mode.
 */
export const METRIC_DIRECTIONS: Readonly<Record<string, MetricDirection>> = {
  // binary
  auc: 'max',
  logLoss: 'min',
  accuracy: 'max',
  precision: 'max',
  recall: 'max',
  f1: 'max',
  // regression
  rmse: 'min',
  mae: 'min',
  // ranking (reported as ndcg@10, hitRate@10, ...)
  ndcg: 'max',
  hitRate: 'max',
  map: 'max',
};

/** The direction of a reported metric name (`logLoss`, `ndcg@10`), or undefined when it has none. */
export function metricDirection(name: string): MetricDirection | undefined {
  const base = name.replace(/@\d+$/, '');
  return Object.hasOwn(METRIC_DIRECTIONS, base) ? METRIC_DIRECTIONS[base] : undefined;
}
