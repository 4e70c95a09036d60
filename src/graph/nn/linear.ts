import { WideDeepError } from '../../core/errors.js';
import type { Graph, Value } from '../builder.js';
import * as op from '../ops.js';
import type { InitKind, ParamScope } from '../params.js';
import { bool, configObject, expectRank, initKind, positiveInt, staticDim } from './config.js';

/** A fully connected layer `y = x W + b`, W of shape [in, units]. */
export interface LinearConfig {
  readonly units: number;
  /** Initializer of W (default `xavier_uniform`, fans = (in, units)); b starts at zeros. */
  readonly init?: InitKind;
  /** Whether to add the bias b (default true). */
  readonly bias?: boolean;
}

export const ACTIVATIONS = ['relu', 'sigmoid', 'tanh', 'linear'] as const;
export type ActivationKind = (typeof ACTIVATIONS)[number];

/**
 * Linear layer on x [N, in] -> [N, units]: one Gemm. Declares the parameters `<name>.weight` [in, units]
 * and (unless `bias: false`) `<name>.bias` [units].
 */
export function linear(scope: ParamScope, name: string, x: Value, config: LinearConfig): Value {
  const c = configObject(config, name, ['units', 'init', 'bias']);
  const units = positiveInt(c, 'units', name);
  const init = initKind(c, name);
  const withBias = bool(c, 'bias', name, true);
  expectRank(x, 2, `linear ${name}`);
  const fanIn = staticDim(x, 1, `linear ${name}`);
  const fans = { fanIn, fanOut: units };
  const w = scope.param(`${name}.weight`, [fanIn, units], init, fans);
  const b = withBias ? scope.param(`${name}.bias`, [units], 'zeros', fans) : null;
  return op.gemm(scope.g, x, w, b);
}

/** Applies an elementwise activation; `linear` returns x itself. */
export function activation(g: Graph, x: Value, kind: ActivationKind): Value {
  switch (kind) {
    case 'relu':
      return op.relu(g, x);
    case 'sigmoid':
      return op.sigmoid(g, x);
    case 'tanh':
      return op.tanh(g, x);
    case 'linear':
      return x;
    default:
      throw new WideDeepError('CONFIG', `activation must be one of ${ACTIVATIONS.join(', ')}, got ${JSON.stringify(kind)}`, {
        field: 'activation',
        fix: `use one of ${ACTIVATIONS.join(', ')}`,
      });
  }
}
