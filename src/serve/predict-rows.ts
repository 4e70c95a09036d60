import { inputColumns, numericInputs } from '../features/checks.js';
import type { FittedSpec } from '../features/fitted-spec.js';
import { knownColumns } from '../features/labels.js';
import { rowsToChunk } from '../features/rows.js';
import { transform } from '../features/transform.js';
import { type Explanation, type MulticlassExplanation, explainRows, predictionRows } from '../model/explain.js';
import { modelBatchOf } from '../model/from-spec.js';
import type { WideDeepModel } from '../model/wide-deep.js';

export interface PredictRowsOptions {
  /** Answer with explanations (as `predict --explain` writes them) instead of bare predictions. Default false. */
  readonly explain?: boolean;
  /** Fired wide terms per explanation, strongest first. Default 5. */
  readonly topK?: number;
  /** Name of the rows in error messages (default 'rows'). */
  readonly source?: string;
}

/** Keys of the rows that no feature, label or weight reads, present only when there are some. */
interface Ignored {
  readonly ignoredColumns?: readonly string[];
}

/** A score per row (a number; a list of class probabilities for a multi-class model). */
export type RowPredictions = { readonly predictions: (number | number[])[] } & Ignored;
export type RowExplanations = { readonly explanations: Explanation[] | MulticlassExplanation[] } & Ignored;

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
 * Scores JSON rows (objects keyed by input column) in one batch, exactly as `widedeep serve` answers POST
 * /predict: the fitted spec's serving transform, where a column a row leaves out or gives as null is missing
 * (id 0, or the numeric column's missing strategy). Keys no feature, label or weight reads are listed in
 * `ignoredColumns` (a misspelt column shows there instead of passing as missing unseen). Every row is scored
 * or none: a bad row (not an object, a value of no usable type, a number not finite in float32) throws a
 * WideDeepError (code DATA) naming its 1-based row and field; a NaN or infinite output throws code RUNTIME.
 */
export async function predictRows(model: WideDeepModel, spec: FittedSpec, rows: readonly unknown[], options: PredictRowsOptions & { readonly explain: true }): Promise<RowExplanations>;
export async function predictRows(model: WideDeepModel, spec: FittedSpec, rows: readonly unknown[], options?: PredictRowsOptions & { readonly explain?: false }): Promise<RowPredictions>;
export async function predictRows(model: WideDeepModel, spec: FittedSpec, rows: readonly unknown[], options?: PredictRowsOptions): Promise<RowPredictions | RowExplanations>;
export async function predictRows(model: WideDeepModel, spec: FittedSpec, rows: readonly unknown[], options: PredictRowsOptions = {}): Promise<RowPredictions | RowExplanations> {
  const inputs = inputsOf(spec);
  const chunk = rowsToChunk(rows, { source: options.source ?? 'rows', columns: inputs.columns, numeric: inputs.numeric });
  const batch = modelBatchOf(transform(spec, chunk, { mode: 'serve', onBadRow: 'error' }));
  const ignored = new Set<string>();
  for (const r of rows as Record<string, unknown>[]) for (const key of Object.keys(r)) if (!inputs.known.has(key)) ignored.add(key);
  const ignoredColumns: Ignored = ignored.size > 0 ? { ignoredColumns: [...ignored] } : {};
  if (options.explain === true) return { explanations: await explainRows(model, spec, batch, options.topK ?? 5, chunk), ...ignoredColumns };
  const p = await model.predict(batch);
  return { predictions: predictionRows(p.prediction, batch.size, model.outputs), ...ignoredColumns };
}
