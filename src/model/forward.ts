import { WideDeepError } from '../core/errors.js';
import type { Value } from '../graph/builder.js';
import { type DropoutInput, linear } from '../graph/nn.js';
import * as op from '../graph/ops.js';
import type { ParamScope } from '../graph/params.js';
import type { ForwardBuilder } from '../graph/train-step.js';
import type { ModelConfig } from './config.js';
import { DEEP_PARTS, type DeepPart } from './deep-parts.js';
import { type ModelSizes, outputsOf } from './sizes.js';

/** Width of the pooled-embedding block the deep part reads: the embedded features' dims end to end. */
export function embWidth(sizes: ModelSizes): number {
  return sizes.embeddings.reduce((a, e) => a + e.dim, 0);
}

/** The graph's data inputs that receive gradients (the wide logit, the embedding block, the sequences). */
export function gradInputsOf(sizes: ModelSizes, config: ModelConfig): string[] {
  const out: string[] = [];
  if (config.kind !== 'deep') out.push('wide_logit');
  if (config.kind !== 'wide') {
    if (sizes.embeddings.length > 0) out.push('emb');
    const seqs = DEEP_PARTS[config.deep.type].sequencesOf(config.deep as never);
    for (const key of seqs) out.push(`seq_${key}`);
  }
  return out;
}

/** The dense graph: [embeddings | numerics | sequences] -> deep network -> K logits, plus the wide logit. */
export function makeForward(sizes: ModelSizes, config: ModelConfig, onDropout: (d: readonly DropoutInput[]) => void): ForwardBuilder {
  const k = outputsOf(sizes);
  return (scope: ParamScope, training: boolean, given?: ReadonlyMap<string, Value>): Value => {
    const g = scope.g;
    const input = (name: string, shape: (string | number)[]): Value => given?.get(name) ?? g.input(name, scope.dtype, shape);
    const parts: Value[] = [];
    if (config.kind !== 'deep') parts.push(input('wide_logit', ['N', k]));
    if (config.kind !== 'wide') {
      const flat: Value[] = [];
      const width = embWidth(sizes);
      if (width > 0) flat.push(input('emb', ['N', width]));
      if (sizes.denseWidth > 0) flat.push(input('num', ['N', sizes.denseWidth]));
      const part = DEEP_PARTS[config.deep.type] as DeepPart<unknown>;
      const sequences = new Map<string, { seq: Value; mask: Value }>();
      for (const key of part.sequencesOf(config.deep)) {
        const s = sizes.sequences.find((x) => x.key === key);
        if (!s) throw new WideDeepError('CONFIG', `no sequence feature ${key} in the feature spec`, { field: 'model.deep.sequence' });
        sequences.set(key, {
          seq: input(`seq_${key}`, ['N', s.length, s.dim]),
          mask: input(`mask_${key}`, ['N', s.length]),
        });
      }
      const trunk = part.build(scope, { flat, sequences }, config.deep, training);
      if (training) onDropout(trunk.dropoutInputs);
      parts.push(linear(scope, 'deep.logit', trunk.out, { units: k, init: config.deep.init }));
    }
    return parts.length === 1 ? op.identity(g, parts[0] as Value) : op.add(g, parts[0] as Value, parts[1] as Value);
  };
}

/**
 * Dense multiply-adds per example below which the graph runs on one intra-op thread. Small dense parts (the
 * census and MovieLens MLPs, ~16-20k) spend their step in many tiny ONNX nodes, where waking a second thread
 * per node costs more than it saves: one thread trained Adult 14% and MovieLens 10% faster (quiet A/B,
 * BENCHMARKS.md); from the engine's `small` case (~61k) up, two threads tie or win.
 */
export const ONE_THREAD_BELOW_MACS = 32_768;

/**
 * The intra-op thread count for a model when none is given: 1 for a small dense part, else the executor's
 * default (undefined). Multiply-adds per example are approximated by the dense parameter count, times the
 * sequence length for a GRU (its weights apply at every step).
 */
export function autoThreads(params: readonly { readonly shape: readonly number[] }[], sizes: ModelSizes, config: ModelConfig): number | undefined {
  if (config.kind === 'wide') return 1;
  let weights = 0;
  for (const p of params) weights += p.shape.reduce((a, d) => a * d, 1);
  const steps = config.deep.type === 'gru' ? Math.max(1, ...sizes.sequences.map((q) => q.length)) : 1;
  return weights * steps < ONE_THREAD_BELOW_MACS ? 1 : undefined;
}

