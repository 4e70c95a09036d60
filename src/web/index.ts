/**
 * widedeep/web: a model bundle scored in the browser. `loadBundle(url)` fetches a bundle that `widedeep fit`
 * wrote, checks its digest, and scores and explains JSON rows with the same transform, model and explanation
 * code as Node, on onnxruntime-web (wasm). No Node API, no DuckDB; built into dist-web/widedeep-web.js by
 * scripts/build-web.mjs (docs/WEB.md).
 */
export { WideDeepError, type ErrorCode, type ErrorDetails } from '../core/errors.js';
export type { Manifest } from '../artifact/manifest-schema.js';
export type { FittedSpec } from '../features/fitted-spec.js';
export type { ClassExplanation, Explanation, FiredTerm, MulticlassExplanation } from '../model/explain.js';
export type { RowExplanations, RowPredictions } from '../serve/predict-rows.js';
export type { Fetch } from './fetch-bundle.js';
export { type BundleMetadata, loadBundle, type LoadBundleOptions, type WebBundle } from './load-bundle.js';
