import { Rng } from '../core/rng.js';
import { type RowChunk, takeRows } from '../data/index.js';
import { inputColumns } from '../features/checks.js';
import type { FittedSpec } from '../features/fitted-spec.js';
import { auc, rmse } from '../metrics/index.js';
import type { WideDeepModel } from '../model/wide-deep.js';
import { scoreRows } from './curves.js';

/**
 * Permutation importance (Breiman 2001; scikit-learn's permutation_importance): how much worse the model's
 * test metric gets when one input column's values are shuffled across rows, which cuts that column's link to
 * the label while keeping its distribution. Scored through the model's own path (`scoreRows`: transform,
 * predict), so crosses and buckets that read the column are shuffled with it. It lives here rather than in
 * src/report so that experiment trials (this layer) can record it too.
 */
export interface ColumnImportance {
  /** The data column (a feature's source; crosses read their components' columns). */
  readonly column: string;
  /**
   * Metric lost when the column is shuffled: base AUC - shuffled AUC (binary), shuffled RMSE - base RMSE
   * (regression). ~0: the model does not use the column; negative: noise that happened to help.
   */
  readonly drop: number;
  /** `auc` or `rmse`. */
  readonly metric: string;
}

export interface ImportanceOptions {
  /** Rows scored: a seeded sample when the split holds more (default 10,000). */
  readonly maxRows?: number;
  /** Seed of the row sample and of every column's permutation (default 0). */
  readonly seed?: number;
}

export const IMPORTANCE_ROWS = 10_000;

/** `n` row indices out of `numRows`, drawn without replacement by `rng`, in ascending order. */
export function sampleRows(numRows: number, n: number, rng: Rng): Int32Array {
  const all = Int32Array.from({ length: numRows }, (_, i) => i);
  const k = Math.min(n, numRows);
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(numRows - i);
    const t = all[i] as number;
    all[i] = all[j] as number;
    all[j] = t;
  }
  return all.subarray(0, k).sort();
}

/** A uniformly random permutation of 0..n-1 (Fisher-Yates). */
export function permutation(n: number, rng: Rng): Int32Array {
  const p = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = p[i] as number;
    p[i] = p[j] as number;
    p[j] = t;
  }
  return p;
}

/** The chunk with one column's values moved to the rows `order` names (every other column as it was). */
export function withShuffledColumn(rows: RowChunk, column: string, order: Int32Array): RowChunk {
  const only = { ...rows, columns: new Map([[column, rows.columns.get(column)!]]) };
  const columns = new Map(rows.columns);
  columns.set(column, takeRows(only, order).columns.get(column)!);
  return { ...rows, columns };
}

type Scorer = { readonly metric: string; readonly value: (p: Float32Array, y: Float32Array) => number; readonly worse: (base: number, now: number) => number };

function scorerOf(model: WideDeepModel): Scorer | null {
  if (model.outputs !== 1) return null;
  if (model.sizes.objective === 'binary') return { metric: 'auc', value: (p, y) => auc(p, y), worse: (b, n) => b - n };
  if (model.sizes.objective === 'regression') return { metric: 'rmse', value: (p, y) => rmse(p, y), worse: (b, n) => n - b };
  return null;
}

/**
 * Permutation importance of every input column of `spec` present in `rows` (the test split), one seeded
 * shuffle per column over at most `maxRows` rows. Null for multi-class models and when the metric is
 * undefined on the rows (one class only).
 */
export async function permutationImportance(model: WideDeepModel, spec: FittedSpec, rows: RowChunk, options: ImportanceOptions = {}): Promise<ColumnImportance[] | null> {
  const scorer = scorerOf(model);
  if (scorer === null || rows.numRows === 0) return null;
  const rng = new Rng(options.seed ?? 0);
  const maxRows = options.maxRows ?? IMPORTANCE_ROWS;
  const sample = rows.numRows > maxRows ? takeRows(rows, sampleRows(rows.numRows, maxRows, rng.fork('rows'))) : rows;
  const base = await scoreRows(model, spec, sample);
  const baseValue = scorer.value(base.prediction, base.labels);
  if (!Number.isFinite(baseValue)) return null;
  const out: ColumnImportance[] = [];
  for (const column of inputColumns(spec)) {
    if (!sample.columns.has(column)) continue;
    const shuffled = withShuffledColumn(sample, column, permutation(sample.numRows, rng.fork(`column:${column}`)));
    const s = await scoreRows(model, spec, shuffled);
    out.push({ column, drop: scorer.worse(baseValue, scorer.value(s.prediction, s.labels)), metric: scorer.metric });
  }
  return out;
}
