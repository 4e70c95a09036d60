import type { DenseOptimizerResolved } from '../../graph/optimizers.js';
import type { ModelConfig } from '../config.js';
import type { PartDef } from '../part.js';
import { deepPart } from './deep.js';
import { embeddingsPart } from './embeddings.js';
import { shardedEmbeddingsPart } from './sharded-embeddings.js';
import { shardedWidePart } from './sharded-wide.js';
import { widePart } from './wide.js';

/**
 * The parts of each model kind, in step order: their feeds are filled, their logits added and their
 * gradients applied in this order (wide before deep, as the joint logit `wide_logit + deep_logit`).
 */
const KIND_PARTS: Readonly<Record<ModelConfig['kind'], readonly PartDef[]>> = {
  wide: [widePart],
  deep: [embeddingsPart, deepPart],
  wide_deep: [widePart, embeddingsPart, deepPart],
};

/** The parts a model of this config is made of. */
export function partsOf(config: ModelConfig): readonly PartDef[] {
  return KIND_PARTS[config.kind];
}

export { deepPart, DeepModelPart } from './deep.js';
export { embeddingsPart, EmbeddingsModelPart, type Embedded } from './embeddings.js';
export { widePart, WideModelPart } from './wide.js';
export { shardedEmbeddingsPart, ShardedEmbeddingsModelPart } from './sharded-embeddings.js';
export { shardedWidePart, ShardedWideModelPart } from './sharded-wide.js';

/** The parts of a model with sparse workers: `parts` with the wide and embeddings parts replaced by their sharded forms. */
export function withSparseLanes(parts: readonly PartDef[]): readonly PartDef[] {
  return parts.map((p) => (p === embeddingsPart ? shardedEmbeddingsPart : p === widePart ? shardedWidePart : p));
}

/** The dense graph's parameter groups and their optimizers: every part's, merged. */
export function denseOptimizersOf(config: ModelConfig): Readonly<Record<string, DenseOptimizerResolved>> {
  return Object.fromEntries(partsOf(config).flatMap((p) => Object.entries(p.denseOptimizers(config))));
}
