export type { FloatArray, LabelArray, UserIds, WeightOption } from './types.js';
export { type RocCurve, auc, rocCurve } from './auc.js';
export {
  type LogLossOptions,
  type PrecisionRecallF1,
  type ThresholdOptions,
  DEFAULT_EPS,
  DEFAULT_THRESHOLD,
  accuracy,
  calibration,
  logLoss,
  precisionRecallF1,
} from './binary.js';
export { type CalibrationCurve, type CalibrationCurveOptions, calibrationCurve } from './calibration-curve.js';
export { mae, rmse } from './regression.js';
export { type MulticlassOptions, multiclassAccuracy, multiclassLogLoss } from './multiclass.js';
export { type RankingMetrics, hitRateAtK, mapAtK, ndcgAtK, rankingMetrics, recallAtK } from './ranking.js';
export {
  type BinaryMetricOptions,
  type BinaryMetrics,
  type MetricInput,
  type MetricKind,
  type MetricOptions,
  type MetricResult,
  type MetricSetConfig,
  type MulticlassMetricOptions,
  type MulticlassMetrics,
  type RegressionMetricOptions,
  type RegressionMetrics,
  METRIC_KINDS,
  MetricAccumulator,
  concatValues,
  evaluate,
} from './metric-set.js';
export { type MetricDirection, METRIC_DIRECTIONS, metricDirection } from './direction.js';
