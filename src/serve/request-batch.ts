import type { RowChunk } from '../data/types.js';
import { inputColumns, numericInputs } from '../features/checks.js';
import type { FittedSpec } from '../features/fitted-spec.js';
import { knownColumns } from '../features/labels.js';
import { completeChunk, rowsToChunk } from '../features/rows.js';
import { MAX_OTHER_KEYS } from './defaults.js';
import { transform } from '../features/transform.js';
import { explainRows, predictionRows } from '../model/explain.js';
import { modelBatchOf } from '../model/from-spec.js';
import type { ModelBatch } from '../model/sizes.js';
import type { WideDeepModel } from '../model/wide-deep.js';
import type { RowExplanations, RowPredictions } from './predict-rows.js';

/**
 * predictRows (src/serve/predict-rows.ts) in two halves, so that the micro-batcher can transform each
 * request on its own (a bad row fails its request alone, with its row number in that request) and score many
 * requests in one model call: `prepareRows` is the serving transform of one request's rows, `answerOf` the
 * answer for that request's slice of a prediction. predictRows is exactly
 * `answerOf(prepared, (await model.predict(prepared.batch)).prediction, 0, model.outputs)`.
 */

/** One request's rows, transformed: the model batch (its origin names the request's rows), the chunk, unknown keys. */
export interface PreparedRows {
  readonly batch: ModelBatch;
  readonly chunk: RowChunk;
  /** Keys of the rows that no feature, label or weight reads, present only when there are some. */
  readonly ignoredColumns?: readonly string[];
}

interface Inputs {
  readonly columns: readonly string[];
  readonly numeric: readonly string[];
  readonly known: ReadonlySet<string>;
}

/** The columns a spec reads, computed once per spec (a server scores many requests with one). */
const inputsCache = new WeakMap<FittedSpec, Inputs>();

function inputsOf(spec: FittedSpec): Inputs {
  let inputs = inputsCache.get(spec);
  if (inputs === undefined) {
    inputs = { columns: inputColumns(spec), numeric: numericInputs(spec), known: knownColumns(spec) };
    inputsCache.set(spec, inputs);
  }
  return inputs;
}

/**
 * A request's rows: JSON values, or its body read straight into columns (features/json-rows.ts) with the JSON
 * values on demand (for the errors that only the general path words).
 */
export type RequestRows = readonly unknown[] | ReadRows;

export interface ReadRows {
  /** The rows' own columns, as `rowsToChunk(values())` gives them (no spec's inputs added). */
  readonly chunk: RowChunk;
  readonly values: () => readonly unknown[];
}

/** Most distinct keys a request's rows may give: the spec's input columns and MAX_OTHER_KEYS others. */
export function keyLimit(spec: FittedSpec): number {
  return inputsOf(spec).columns.length + MAX_OTHER_KEYS;
}

export function rowCount(rows: RequestRows): number {
  return Array.isArray(rows) ? rows.length : (rows as ReadRows).chunk.numRows;
}

/**
 * The serving transform of one request's rows (as predictRows does it): throws the WideDeepError (code DATA)
 * naming the first bad row (1-based within these rows) and its field.
 */
export function prepareRows(spec: FittedSpec, rows: RequestRows, source = 'rows'): PreparedRows {
  const inputs = inputsOf(spec);
  const options = { source, columns: inputs.columns, numeric: inputs.numeric, maxKeys: keyLimit(spec) };
  const read = Array.isArray(rows) ? undefined : completeChunk((rows as ReadRows).chunk, options);
  const chunk = read ?? rowsToChunk(Array.isArray(rows) ? rows : (rows as ReadRows).values(), options);
  const batch = modelBatchOf(transform(spec, chunk, { mode: 'serve', onBadRow: 'error', rowsScoredWhole: true }));
  // The chunk's columns are the rows' keys in first-seen order, then the spec's inputs (all known).
  const ignored = [...chunk.columns.keys()].filter((key) => !inputs.known.has(key));
  return { batch, chunk, ...(ignored.length > 0 ? { ignoredColumns: ignored } : {}) };
}

/** The answer for one request whose rows are examples [at, at + size) of `prediction` ([N, outputs]). */
export function answerOf(prepared: PreparedRows, prediction: Float32Array, at: number, outputs: number): RowPredictions {
  const n = prepared.batch.size;
  const own = prediction.subarray(at * outputs, (at + n) * outputs);
  return { predictions: predictionRows(own, n, outputs), ...(prepared.ignoredColumns ? { ignoredColumns: prepared.ignoredColumns } : {}) };
}

/** The explanations of one request's rows (as `predict --explain` writes them), with its unknown keys. */
export async function explanationsOf(model: WideDeepModel, spec: FittedSpec, prepared: PreparedRows, topK: number): Promise<RowExplanations> {
  const explanations = await explainRows(model, spec, prepared.batch, topK, prepared.chunk);
  return { explanations, ...(prepared.ignoredColumns ? { ignoredColumns: prepared.ignoredColumns } : {}) };
}
