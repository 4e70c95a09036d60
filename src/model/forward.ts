import { WideDeepError } from '../core/errors.js';
import type { Value } from '../graph/builder.js';
import type { DropoutInput } from '../graph/nn.js';
import * as op from '../graph/ops.js';
import type { ParamScope } from '../graph/params.js';
import type { ForwardBuilder } from '../graph/train-step.js';
import type { ModelConfig } from './config.js';
import { DEEP_PARTS, type DeepPart } from './deep-parts.js';
import type { PartGraph } from './part.js';
import { denseOptimizersOf, partsOf } from './parts/index.js';
import type { ModelSizes } from './sizes.js';

export { embWidth } from './sizes.js';

/** The graph's data inputs that receive gradients: each part's, in part order (`wide_logit`, `emb`, `seq_<key>`). */
export function gradInputsOf(sizes: ModelSizes, config: ModelConfig): string[] {
  return partsOf(config).flatMap((p) => p.gradInputs(sizes, config));
}

/** The dense graph: the sum of the parts' logits (the wide logit input + the deep network's), K per example. */
export function makeForward(sizes: ModelSizes, config: ModelConfig, onDropout: (d: readonly DropoutInput[]) => void): ForwardBuilder {
  return (scope: ParamScope, training: boolean, given?: ReadonlyMap<string, Value>): Value => {
    const g = scope.g;
    const input = (name: string, shape: (string | number)[]): Value => given?.get(name) ?? g.input(name, scope.dtype, shape);
    const graph: PartGraph = { scope, sizes, config, training, input, onDropout };
    const logits = partsOf(config).flatMap((p) => p.logit(graph) ?? []);
    const [first, ...rest] = logits;
    if (!first) throw new WideDeepError('CONFIG', `model kind ${config.kind} has no part that adds a logit`, { field: 'model.kind' });
    return rest.length === 0 ? op.identity(g, first) : rest.reduce((sum, x) => op.add(g, sum, x), first);
  };
}

/**
 * Dense multiply-adds per example below which the graph runs on one intra-op thread. Small dense parts (the
 * census and MovieLens MLPs, ~16-20k) spend their step in many tiny ONNX nodes, where waking a second thread
 * per node costs more than it saves: one thread trained Adult 14% and MovieLens 10% faster than two (quiet A/B
 * on 2 cores, BENCHMARKS.md, issue 4); from the engine's `small` case (~61k) up, two threads tie or win, and
 * such parts get every core (the executor's default).
 */
export const ONE_THREAD_BELOW_MACS = 32_768;

/**
 * The intra-op thread count for a model when none is given: 1 for a small dense part (and a wide-only model,
 * whose graph is a few elementwise nodes), else the executor's default (undefined: the node executor's is
 * every available core, `availableCores`). Multiply-adds per example are approximated by the dense parameter
 * count, times the sequence length for a GRU (its weights apply at every step).
 */
export function autoThreads(params: readonly { readonly shape: readonly number[] }[], sizes: ModelSizes, config: ModelConfig): number | undefined {
  // No part trains dense parameters (a wide-only model): the graph is a few elementwise nodes.
  if (Object.keys(denseOptimizersOf(config)).length === 0) return 1;
  let weights = 0;
  for (const p of params) weights += p.shape.reduce((a, d) => a * d, 1);
  const steps = (DEEP_PARTS[config.deep.type] as DeepPart<unknown>).stepsPerExample(config.deep, sizes);
  return weights * steps < ONE_THREAD_BELOW_MACS ? 1 : undefined;
}

