import { WideDeepError } from '../core/errors.js';
import { perUserSplit, randomSplit } from '../data/splits.js';
import type { RowChunk } from '../data/types.js';
import type { RunData } from './run-data.js';
import type { RunConfig } from './run-config.js';

/**
 * The validation rows of a run (train.validationSplit), carved from its training rows: a seeded random
 * validationFraction (seed + 1), or per user the last floor(n_u * validationFraction) training rows by
 * time (no random draw: ties in time are broken by the tie column, then by row order). The rest trains.
 */
export function validationSplitOf(data: RunData, config: RunConfig): { train: RowChunk; validation: RowChunk | null } {
  const { validationFraction: vf, validationSplit } = config.train;
  if (vf === 0) return { train: data.train, validation: null };
  if (validationSplit === 'random') {
    const s = randomSplit(data.train, { testFraction: vf, seed: config.seed + 1 });
    return { train: s.train, validation: s.test };
  }
  const order = data.timeOrder;
  const columns = order && data.userColumn !== null ? [data.userColumn, order.time, order.tie] : [];
  if (!order || data.userColumn === null || columns.some((c) => !data.train.columns.has(c))) {
    throw new WideDeepError('CONFIG', `train.validationSplit: per-user-time needs a user column and a time column, and the ${config.data.dataset} data has none known`, {
      field: 'train.validationSplit',
      fix: 'use train.validationSplit: random (per-user-time applies to movielens-100k and synthetic)',
    });
  }
  const s = perUserSplit(data.train, { userColumn: data.userColumn, timeColumn: order.time, itemColumn: order.tie, fraction: vf });
  if (s.test.numRows === 0) {
    throw new WideDeepError('CONFIG', `train.validationSplit: per-user-time holds out floor(n_u * ${vf}) rows per user, which is 0 for every user`, {
      field: 'train.validationFraction',
      fix: 'raise train.validationFraction so that users have at least one validation row, or use validationSplit: random',
    });
  }
  return { train: s.train, validation: s.test };
}
