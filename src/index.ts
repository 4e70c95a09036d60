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
export { serveModel, type ModelServer, type ServeOptions } from './serve/server.js';
export { predictRows, type PredictRowsOptions, type RowPredictions, type RowExplanations } from './serve/predict-rows.js';
export { exportOnnx, onnxFeeds, type OnnxLayout } from './artifact/onnx-export.js';
export { nodeExecutor, webExecutor, type Executor } from './runtime/index.js';
