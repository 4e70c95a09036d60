import { createRowOptimizer, MAX_SPARSE_WORKERS } from '../sparse/index.js';
import type { ModelConfig } from './config.js';
import type { TableDecl } from './part.js';
import { embeddingsPart, partsOf } from './parts/index.js';
import type { ModelSizes } from './sizes.js';

/**
 * Embedding tables (weights and optimizer state) at least this large in all get sparse workers by default.
 * Below it the tables sit in the caches, and the workers' fixed costs per step (the gathered block and its
 * gradient copied across, the Atomics round trips) outweigh the split. On 2 cores one worker cut the step of
 * 26 tables of 16-dim rows by 4-28% at 10, 48, 143 and 500 MB of tables, and slowed 9 tables of 1000 x 8
 * (0.9 MB) by 8-20% in separate processes (BENCHMARKS.md, "Where a step's time goes, and sparse workers" and
 * "Software prefetch and sparse workers by default"); the line sits between the two.
 */
export const SPARSE_WORKERS_FROM_BYTES = 8 * 2 ** 20;

/** Bytes of the model's embedding tables with their optimizer state (0 without an embeddings part). */
export function embeddingTableBytes(sizes: ModelSizes, config: ModelConfig): number {
  if (!partsOf(config).includes(embeddingsPart)) return 0;
  const bytes = (t: TableDecl): number => 4 * t.numRows * (t.dim + createRowOptimizer(t.optimizer).stateWidth(t.dim));
  return embeddingsPart.tables(sizes, config).reduce((sum, t) => sum + bytes(t), 0);
}

/**
 * The sparse workers a model gets when `sparseWorkers` is not given: none for tables that fit the caches,
 * else one per core beside the training thread (`cores`: the threads the model's sessions run on), at most
 * one per table beyond the first (a lane owns whole tables) and none where worker threads do not exist
 * (the browser build, whose `MAX_SPARSE_WORKERS` is 0).
 */
export function defaultSparseWorkers(sizes: ModelSizes, config: ModelConfig, cores: number): number {
  if (embeddingTableBytes(sizes, config) < SPARSE_WORKERS_FROM_BYTES) return 0;
  const tables = embeddingsPart.tables(sizes, config).length;
  return Math.max(0, Math.min(cores - 1, tables - 1, MAX_SPARSE_WORKERS));
}
