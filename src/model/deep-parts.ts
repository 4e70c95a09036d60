import { WideDeepError } from '../core/errors.js';
import type { Value } from '../graph/builder.js';
import { type DropoutInput, gru, mlp } from '../graph/nn.js';
import * as op from '../graph/ops.js';
import type { ParamScope } from '../graph/params.js';
import type { GruConfigResolved, MlpConfigResolved } from './config.js';
import type { ModelSizes } from './sizes.js';

/** The deep part's inputs as graph values: pooled embeddings, numerics, and sequences with their masks. */
export interface DeepInputs {
  readonly flat: readonly Value[];
  readonly sequences: ReadonlyMap<string, { readonly seq: Value; readonly mask: Value }>;
}

export interface DeepTrunk {
  readonly out: Value;
  readonly dropoutInputs: readonly DropoutInput[];
}

/**
 * A deep network family. Each declares what it builds; the model never branches on the family.
 */
export interface DeepPart<C> {
  /** Sequence features this part reads as sequences (the rest are pooled). */
  sequencesOf(config: C): readonly string[];
  build(scope: ParamScope, inputs: DeepInputs, config: C, training: boolean): DeepTrunk;
  /**
   * How many times per example the network's weights apply (a GRU's: the longest sequence; an MLP's: 1),
   * the multiplier of the dense multiply-add estimate behind the intra-op thread rule (`autoThreads`).
   */
  stepsPerExample(config: C, sizes: ModelSizes): number;
}

function joined(scope: ParamScope, xs: readonly Value[]): Value {
  if (xs.length === 0) {
    throw new WideDeepError('CONFIG', 'the deep part has no inputs', { field: 'model.kind', fix: 'declare deep features, or use kind: wide' });
  }
  return xs.length === 1 ? (xs[0] as Value) : op.concat(scope.g, xs, 1);
}

export const mlpPart: DeepPart<MlpConfigResolved> = {
  sequencesOf: () => [],
  stepsPerExample: () => 1,
  build(scope, inputs, c, training) {
    const x = joined(scope, inputs.flat);
    const { type: _type, ...rest } = c;
    return mlp(scope, 'deep', x, { ...rest, training });
  },
};

export const gruPart: DeepPart<GruConfigResolved> = {
  sequencesOf: (c) => [c.sequence],
  stepsPerExample: (_c, sizes) => Math.max(1, ...sizes.sequences.map((q) => q.length)),
  build(scope, inputs, c, training) {
    const s = inputs.sequences.get(c.sequence);
    if (!s) {
      throw new WideDeepError('CONFIG', `the GRU reads sequence feature ${c.sequence}, which the feature spec does not have`, {
        field: 'model.deep.sequence',
        fix: 'declare a sequence column with that name in the features',
      });
    }
    const h = gru(scope, 'gru', s.seq, s.mask, { hidden: c.hidden, init: c.init });
    return mlp(scope, 'deep', joined(scope, [h, ...inputs.flat]), { ...c.head, training });
  },
};

export const DEEP_PARTS = { mlp: mlpPart, gru: gruPart } as const;
