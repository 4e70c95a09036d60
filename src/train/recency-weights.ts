import { WideDeepError } from '../core/errors.js';
import { userTimePositions, type RowChunk } from '../data/index.js';
import type { TrainConfig } from './config.js';

/** Where a run's rows have users and a time order (RunData's userColumn and timeOrder). */
export interface UserTime {
  readonly userColumn: string | null;
  readonly timeOrder: { readonly time: string; readonly tie: string } | null;
}

/**
 * `train.recencyWeight`: one weight per training row from its place p in its user's history (0 for the user's
 * earliest training row, 1 for the latest; userTimePositions, time ties broken by the tie column):
 *
 *   linear:      w = 1 + strength * p
 *   exponential: w = 2^(-strength * (1 - p))    (the weight halves `strength` times from latest to earliest)
 *
 * scaled to mean 1 over the rows, so the loss (a batch's mean of weight * loss) keeps its scale and the
 * learning rates their meaning. When a test split holds each user's latest rows, the latest training rows
 * resemble them most. The positions are taken among `rows` only (the rows that train: without the
 * validation rows, or all training rows in a refit). Null when the config has no recencyWeight.
 */
export function recencyWeights(rows: RowChunk, train: TrainConfig, data: UserTime, dataset: string): Float64Array | null {
  const rw = train.recencyWeight;
  if (rw === undefined || rw === null) return null;
  const order = data.timeOrder;
  if (data.userColumn === null || order === null) {
    throw new WideDeepError('CONFIG', `train.recencyWeight: weighting by recency needs users and time, and the ${dataset} data has none known`, {
      field: 'train.recencyWeight',
      fix: 'remove train.recencyWeight (it applies to movielens-100k and synthetic)',
    });
  }
  const p = userTimePositions(rows, { userColumn: data.userColumn, timeColumn: order.time, itemColumn: order.tie });
  const w = new Float64Array(rows.numRows);
  let sum = 0;
  for (let i = 0; i < w.length; i++) {
    const x = p[i] as number;
    w[i] = rw.scheme === 'linear' ? 1 + rw.strength * x : Math.pow(2, -rw.strength * (1 - x));
    sum += w[i] as number;
  }
  const scale = w.length / sum;
  for (let i = 0; i < w.length; i++) w[i] = (w[i] as number) * scale;
  return w;
}
