import type { FittedSpec } from '../features/fitted-spec.js';
import type { Explanation, MulticlassExplanation } from '../model/explain.js';
import type { WideDeepModel } from '../model/wide-deep.js';
import { answerOf, explanationsOf, prepareRows } from './request-batch.js';

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
  const prepared = prepareRows(spec, rows, options.source ?? 'rows');
  if (options.explain === true) return explanationsOf(model, spec, prepared, options.topK ?? 5);
  return answerOf(prepared, (await model.predict(prepared.batch)).prediction, 0, model.outputs);
}
