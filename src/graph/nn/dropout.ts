import { WideDeepError } from '../../core/errors.js';
import type { Graph, Value } from '../builder.js';
import * as op from '../ops.js';

/**
 * Dropout by a mask fed from outside: x * mask, where mask has x's shape and holds 0 or 1 / keep (see
 * `fillDropoutMask`). The runner feeds a fresh seeded mask each training step; inference graphs leave the
 * layer out.
 */
export function dropout(g: Graph, x: Value, mask: Value): Value {
  const same = mask.shape.length === x.shape.length && mask.shape.every((d, i) => d === x.shape[i]);
  if (!same) {
    throw new WideDeepError('SHAPE', `dropout: mask ${mask.name} [${mask.shape.join(', ')}] must have the shape of ${x.name} [${x.shape.join(', ')}]`);
  }
  return op.mul(g, x, mask);
}
