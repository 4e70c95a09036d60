import type { RowChunk } from '../data/types.js';
import { crossLabel } from '../features/cross-label.js';
import type { FittedColumn, FittedSpec } from '../features/fitted-spec.js';
import type { ModelBatch } from './sizes.js';
import type { WideDeepModel } from './wide-deep.js';

/** One wide term that fired for an example: which feature value, its weight and its share of the logit. */
export interface FiredTerm {
  readonly feature: string;
  /**
   * What the id means: the vocabulary value, the bucket range, or `#id` for a hash bucket; for a crossed
   * column, given the rows, the components' values in the row (`device=mobile x category=games`).
   */
  readonly value: string;
  readonly id: number;
  readonly weight: number;
  readonly contribution: number;
}

export interface Explanation {
  readonly wideLogit: number;
  readonly wideBias: number;
  /** The strongest fired wide terms, by |contribution|. */
  readonly top: readonly FiredTerm[];
  readonly deepLogit: number;
  readonly logit: number;
  readonly prediction: number;
}

/** The meaning of id `id` of a column: its vocabulary value, bucket range, or hash bucket number. */
export function idLabel(col: FittedColumn | undefined, id: number): string {
  if (!col || id === 0) return id === 0 ? '(missing/unseen)' : `#${id}`;
  if (col.type === 'bucketized') {
    const b = col.boundaries;
    const lo = id >= 2 ? String(b[id - 2]) : '-inf';
    const hi = id - 1 < b.length ? String(b[id - 1]) : 'inf';
    return `[${lo}, ${hi})`;
  }
  if ('encoding' in col && col.encoding.kind === 'vocabulary') {
    const v = col.encoding.values[id - 1];
    if (v === undefined) return `#${id}`;
    return Array.isArray(v) ? v.join(' x ') : String(v);
  }
  if ('encoding' in col && col.encoding.kind === 'identity') return String(id - 1);
  return `#${id}`;
}

/** Per class of a multi-class model: the same breakdown as `Explanation`, for that class's logit. */
export interface ClassExplanation {
  readonly class: string;
  readonly wideLogit: number;
  readonly wideBias: number;
  readonly top: readonly FiredTerm[];
  readonly deepLogit: number;
  readonly logit: number;
  readonly probability: number;
}

export interface MulticlassExplanation {
  /** The class with the highest probability. */
  readonly predictedClass: string;
  /** Softmax probabilities, in class order. */
  readonly prediction: readonly number[];
  readonly classes: readonly ClassExplanation[];
}

type WidePart = WideDeepModel['wide'][number];

/** What example b's id `id` of column `key` means; a cross's components' values when the rows are known. */
function termLabel(spec: FittedSpec, cols: ReadonlyMap<string, FittedColumn>, key: string, id: number, rows: RowChunk | undefined, b: number): string {
  const col = cols.get(key);
  const crossed = col?.type === 'crossed' && rows !== undefined && id !== 0 ? crossLabel(spec, col, rows, b, id) : null;
  return crossed ?? idLabel(col, id);
}

/** The fired wide terms of example `b` for one wide model, strongest first (at most `k`), and its bias. */
function firedTerms(wide: WidePart | undefined, batch: ModelBatch, b: number, spec: FittedSpec, cols: ReadonlyMap<string, FittedColumn>, k: number, rows: RowChunk | undefined): { bias: number; top: FiredTerm[] } {
  if (!wide || !batch.wide) return { bias: 0, top: [] };
  const e = wide.explain(batch.wide, b);
  const terms = e.terms.map((t) => ({ feature: t.key, value: termLabel(spec, cols, t.key, t.id, rows, b), id: t.id, weight: t.weight, contribution: t.contribution }));
  terms.sort((x, y) => Math.abs(y.contribution) - Math.abs(x.contribution));
  return { bias: e.bias, top: terms.slice(0, k) };
}

/**
 * Explains every example of a batch (single-output models: binary, regression): the wide logit broken down by
 * the raw and crossed feature weights that fired (top `k` by |contribution|), the deep logit, the joint logit
 * and the prediction. The deep logit is the joint logit minus the wide logit. `rows`, the rows the batch was
 * transformed from (row b of it is example b), names a crossed term by its components' values in the row.
 */
export async function explainBatch(model: WideDeepModel, spec: FittedSpec, batch: ModelBatch, k = 5, rows?: RowChunk): Promise<Explanation[]> {
  const p = await model.predict(batch);
  const cols = new Map(spec.columns.map((c) => [c.name, c]));
  const out: Explanation[] = [];
  for (let b = 0; b < batch.size; b++) {
    const { bias, top } = firedTerms(model.wide[0], batch, b, spec, cols, k, rows);
    const logit = p.logits[b] as number;
    const wideLogit = p.wideLogits[b] as number;
    out.push({ wideLogit, wideBias: bias, top, deepLogit: logit - wideLogit, logit, prediction: p.prediction[b] as number });
  }
  return out;
}

/**
 * Explains every example of a multi-class batch: per class (one wide model per class, one deep logit per
 * class), the same breakdown as `explainBatch`, with the class's softmax probability, and the predicted class.
 */
export async function explainMulticlassBatch(model: WideDeepModel, spec: FittedSpec, batch: ModelBatch, k = 5, rows?: RowChunk): Promise<MulticlassExplanation[]> {
  const p = await model.predict(batch);
  const K = model.outputs;
  const names = spec.label?.kind === 'multiclass' ? spec.label.classes : Array.from({ length: K }, (_, j) => String(j));
  const cols = new Map(spec.columns.map((c) => [c.name, c]));
  const out: MulticlassExplanation[] = [];
  for (let b = 0; b < batch.size; b++) {
    const classes: ClassExplanation[] = [];
    let best = 0;
    for (let j = 0; j < K; j++) {
      const { bias, top } = firedTerms(model.wide[j], batch, b, spec, cols, k, rows);
      const logit = p.logits[b * K + j] as number;
      const wideLogit = p.wideLogits[b * K + j] as number;
      const probability = p.prediction[b * K + j] as number;
      if (probability > (p.prediction[b * K + best] as number)) best = j;
      classes.push({ class: names[j] ?? String(j), wideLogit, wideBias: bias, top, deepLogit: logit - wideLogit, logit, probability });
    }
    out.push({ predictedClass: names[best] ?? String(best), prediction: Array.from(p.prediction.subarray(b * K, (b + 1) * K)), classes });
  }
  return out;
}

/**
 * `explainBatch` or `explainMulticlassBatch`, whichever fits the model's outputs: the one explain path of
 * `predict --explain` and `serve`, which pass the rows the batch came from (row b is example b).
 */
export function explainRows(model: WideDeepModel, spec: FittedSpec, batch: ModelBatch, k = 5, rows?: RowChunk): Promise<Explanation[] | MulticlassExplanation[]> {
  return model.outputs === 1 ? explainBatch(model, spec, batch, k, rows) : explainMulticlassBatch(model, spec, batch, k, rows);
}

/**
 * Per example of a prediction: the score (binary, regression), or the list of class probabilities. Every number
 * is finite (`predict` refuses a NaN or infinite output, `checkFiniteOutput`), so none is written as JSON null.
 */
export function predictionRows(prediction: Float32Array, size: number, outputs: number): (number | number[])[] {
  return Array.from({ length: size }, (_, i) => (outputs === 1 ? (prediction[i] as number) : Array.from(prediction.subarray(i * outputs, (i + 1) * outputs))));
}
