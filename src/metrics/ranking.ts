import type { FloatArray, LabelArray, UserIds } from './types.js';
import { checkBinaryLabels, checkLength, checkNonEmpty, checkNotNaN, checkPositiveInt } from './validate.js';

/**
 * Top-K ranking metrics per user, averaged over users.
 *
 * Examples are grouped by `users[i]`; within a user, items are ranked by prediction, highest first. Ties among
 * equal predictions are broken by input order: the item that comes first in the arrays ranks higher (a stable
 * sort), so results never depend on the sort implementation. Items with label 1 are relevant (binary gains).
 * Users without any relevant item are left out of the averages and counted in `excludedUsers`.
 *
 * For a user with R relevant items, rel_j = 1 when the item at rank j (1-based) is relevant:
 * - HitRate@K = 1 if some rel_j = 1 for j <= K, else 0
 * - Recall@K  = (sum_{j<=K} rel_j) / R
 * - NDCG@K    = DCG / IDCG, DCG = sum_{j<=K} rel_j / log2(j + 1), IDCG = sum_{j<=min(R,K)} 1 / log2(j + 1)
 * - MAP@K     = mean over users of AP@K = (sum_{j<=K} rel_j * Precision@j) / min(R, K)
 * Averages are NaN when no user has a relevant item.
 */
export interface RankingMetrics {
  readonly k: number;
  readonly ndcg: number;
  readonly hitRate: number;
  readonly map: number;
  readonly recall: number;
  /** Users that entered the averages (at least one relevant item). */
  readonly users: number;
  /** Users left out because none of their items is relevant. */
  readonly excludedUsers: number;
}

export function checkRankingInput(predictions: FloatArray, labels: LabelArray, users: UserIds, k: number): void {
  checkPositiveInt('k', k);
  checkLength('labels', labels, predictions.length, 'predictions');
  checkLength('users', users, predictions.length, 'predictions');
  checkNonEmpty(predictions.length, 'ranking metrics');
  checkNotNaN('predictions', predictions);
  checkBinaryLabels('labels', labels);
}

/** All four ranking metrics at cutoff k in one pass. */
export function rankingMetrics(predictions: FloatArray, labels: LabelArray, users: UserIds, k: number): RankingMetrics {
  checkRankingInput(predictions, labels, users, k);
  return rankingUnchecked(predictions, labels, users, k);
}

export function ndcgAtK(predictions: FloatArray, labels: LabelArray, users: UserIds, k: number): number {
  return rankingMetrics(predictions, labels, users, k).ndcg;
}

export function hitRateAtK(predictions: FloatArray, labels: LabelArray, users: UserIds, k: number): number {
  return rankingMetrics(predictions, labels, users, k).hitRate;
}

export function mapAtK(predictions: FloatArray, labels: LabelArray, users: UserIds, k: number): number {
  return rankingMetrics(predictions, labels, users, k).map;
}

export function recallAtK(predictions: FloatArray, labels: LabelArray, users: UserIds, k: number): number {
  return rankingMetrics(predictions, labels, users, k).recall;
}

/** Ranking metrics over checked inputs. Users are visited in order of first appearance. */
export function rankingUnchecked(predictions: FloatArray, labels: LabelArray, users: UserIds, k: number): RankingMetrics {
  const groups = new Map<number | string, number[]>();
  for (let i = 0; i < users.length; i++) {
    const u = users[i]!;
    const g = groups.get(u);
    if (g === undefined) groups.set(u, [i]);
    else g.push(i);
  }
  let ndcg = 0;
  let hitRate = 0;
  let map = 0;
  let recall = 0;
  let counted = 0;
  for (const items of groups.values()) {
    let relevant = 0;
    for (const i of items) relevant += labels[i]!;
    if (relevant === 0) continue;
    counted++;
    // Highest prediction first; equal predictions keep input order (`||` also covers Infinity - Infinity).
    items.sort((a, b) => predictions[b]! - predictions[a]! || a - b);
    const top = Math.min(k, items.length);
    let hits = 0;
    let dcg = 0;
    let precisionSum = 0;
    for (let j = 0; j < top; j++) {
      if (labels[items[j]!] !== 1) continue;
      hits++;
      dcg += 1 / Math.log2(j + 2);
      precisionSum += hits / (j + 1);
    }
    let idcg = 0;
    for (let j = 0; j < Math.min(relevant, k); j++) idcg += 1 / Math.log2(j + 2);
    ndcg += dcg / idcg;
    hitRate += hits > 0 ? 1 : 0;
    map += precisionSum / Math.min(relevant, k);
    recall += hits / relevant;
  }
  const avg = (x: number): number => (counted > 0 ? x / counted : Number.NaN);
  return { k, ndcg: avg(ndcg), hitRate: avg(hitRate), map: avg(map), recall: avg(recall), users: counted, excludedUsers: groups.size - counted };
}
