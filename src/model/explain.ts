import type { FittedColumn, FittedSpec } from '../features/fitted-spec.js';
import type { ModelBatch } from './sizes.js';
import type { WideDeepModel } from './wide-deep.js';

/** One wide term that fired for an example: which feature value, its weight and its share of the logit. */
export interface FiredTerm {
  readonly feature: string;
  /** What the id means: the vocabulary value, the bucket range, or `#id` for a hash bucket. */
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

/**
 * Explains every example of a batch (single-output models): the wide logit broken down by the raw and
 * crossed feature weights that fired (top `k` by |contribution|), the deep logit, the joint logit and the
 * prediction. The deep logit is the joint logit minus the wide logit.
 */
export async function explainBatch(model: WideDeepModel, spec: FittedSpec, batch: ModelBatch, k = 5): Promise<Explanation[]> {
  const p = await model.predict(batch);
  const cols = new Map(spec.columns.map((c) => [c.name, c]));
  const wide = model.wide[0];
  const out: Explanation[] = [];
  for (let b = 0; b < batch.size; b++) {
    let terms: FiredTerm[] = [];
    let bias = 0;
    if (wide && batch.wide) {
      const e = wide.explain(batch.wide, b);
      bias = e.bias;
      terms = e.terms.map((t) => ({ feature: t.key, value: idLabel(cols.get(t.key), t.id), id: t.id, weight: t.weight, contribution: t.contribution }));
      terms.sort((x, y) => Math.abs(y.contribution) - Math.abs(x.contribution));
    }
    const logit = p.logits[b] as number;
    const wideLogit = p.wideLogits[b] as number;
    out.push({ wideLogit, wideBias: bias, top: terms.slice(0, k), deepLogit: logit - wideLogit, logit, prediction: p.prediction[b] as number });
  }
  return out;
}
