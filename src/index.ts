/**
 * widedeep: Wide & Deep models (Cheng et al. 2016) in TypeScript. The public API: configs and the fit
 * pipeline, the model, feature columns, data readers, metrics, model bundles and the HTTP server.
 */
export { WideDeepError, type ErrorCode, Rng, type SparseBatch, validateSparseBatch, sparseBatchFromBags } from './core/index.js';
export * from './features/index.js';
export { openTable, readAll, readChunks, loadAdult, loadMovieLens100k, loadCriteo, syntheticData, syntheticChunks, createSyntheticWorld, fetchDataset } from './data/index.js';
export * from './metrics/index.js';
export { WideDeepModel, type ModelState, type GroupRates, type ParameterGroup, type Prediction } from './model/wide-deep.js';
export { parseModelConfig, type ModelConfig, type ModelConfigInput } from './model/config.js';
export { modelSizesOf, modelBatchOf } from './model/from-spec.js';
export { explainBatch, type Explanation, type FiredTerm } from './model/explain.js';
export type { ModelBatch, ModelSizes, Objective } from './model/sizes.js';
export { parseRunConfig, loadRunConfig, type RunConfig } from './train/run-config.js';
export { runConfigSchema, runConfigJsonSchema, type RunConfigInput } from './train/run-config-schema.js';
export { fitRun, evalSetOf, type FitOutcome, type FitOptions } from './train/pipeline.js';
export { loadRunData, type RunData } from './train/run-data.js';
export { train, evaluateModel, type TrainSource, type EvalSet, type EpochRecord, type TrainEvents } from './train/trainer.js';
export { warmStart } from './train/warm-start.js';
export { saveBundle, readBundle, loadBundle, BUNDLE_FORMAT_VERSION } from './artifact/bundle.js';
export { saveModel, type FittedRun, type SaveModelOptions } from './artifact/save-model.js';
export { serveModel, serveBundle, DEFAULT_TIMEOUTS, type ModelServer, type RunningServer, type ServeOptions } from './serve/server.js';
export { serveCluster } from './serve/cluster.js';
export { predictRows, type PredictRowsOptions, type RowPredictions, type RowExplanations } from './serve/predict-rows.js';
export { exportOnnx, onnxFeeds, type OnnxLayout } from './artifact/onnx-export.js';
export { nodeExecutor, webExecutor, type Executor } from './runtime/index.js';

// Types the API above names in its signatures (so the API reference resolves every one of them).
export type { ErrorDetails } from './core/errors.js';
export type { StepHook } from './artifact/atomic-dir.js';
export type { LoadedBundle } from './artifact/bundle-model.js';
export type { BundleContents } from './artifact/bundle.js';
export type { AdultData, AdultOptions } from './data/datasets/adult.js';
export type { CriteoOptions } from './data/datasets/criteo.js';
export type { DatasetName, FetchOptions, FetchedFile } from './data/datasets/fetch.js';
export type { MovieLensData, MovieLensOptions } from './data/datasets/movielens.js';
export type { LabelSpec } from './data/labels.js';
export type { ReadOptions } from './data/options.js';
export type { ReadResult, TableReader } from './data/reader.js';
export type { ReadSummary } from './data/source.js';
export type { SyntheticConfig, SyntheticWorld } from './data/synthetic-world.js';
export type { SyntheticRowsOptions } from './data/synthetic.js';
export type { ColumnSchema, RowChunk } from './data/types.js';
export type { SpecColumns } from './features/checks.js';
export type { PredicateOp, ResolvedBucketized, ResolvedCategorical, ResolvedCrossed, ResolvedMultiValued, ResolvedNumeric, ResolvedSequence } from './features/resolved.js';
export type { MulticlassExplanation } from './model/explain.js';
export type { ExecTensor, Session, SessionOptions } from './runtime/executor.js';
export type { AdagradConfig, FtrlConfig, LazyAdamConfig, SgdConfig } from './sparse/row-optimizer.js';
export type { RefitResult } from './train/pipeline.js';
export type { Metrics, Progress, TrainOptions, TrainResult, TrainerState } from './train/trainer.js';
export type { WarmStartReport } from './train/warm-start.js';
export type { BatchOptions } from './serve/batcher.js';
export type { ServerControl } from './serve/cluster.js';
export type { Timeouts } from './serve/http/app.js';
export type { LabelRule } from './data/labels.js';
export type { BadRowPolicy, ColumnOverride, FileFormat } from './data/options.js';
export type { ChunksOptions } from './data/reader.js';
export type { BadRow } from './data/source.js';
export type { SyntheticTruth } from './data/synthetic-world.js';
export type { ColumnKind, ColumnValues } from './data/types.js';
export type { CrossEncodingConfig, IdEncodingConfig } from './features/resolved.js';
export type { ClassExplanation } from './model/explain.js';
export type { ExecDType, ExecData } from './runtime/executor.js';
export type { CountryCategoryBoost, PlantedPair } from './data/synthetic-world.js';
export type { Utf8Values } from './data/utf8-values.js';
