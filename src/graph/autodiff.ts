import { WideDeepError } from '../core/errors.js';
import type { Graph, Value } from './builder.js';
import { gradRules } from './gradients.js';
import * as op from './ops.js';

/**
 * Symbolic reverse-mode differentiation over the builder: appends to `g` the nodes that compute d y / d x
 * for every x in `wrt`. `y` must be a scalar unless `dy` (its incoming gradient, same shape) is given.
 * Walks the forward nodes in reverse creation order (a reverse topological order), applying one rule per op
 * and summing the contributions of every use of a value.
 */
export function gradients(g: Graph, y: Value, wrt: readonly Value[], dy?: Value): Value[] {
  if (dy === undefined && y.shape.length !== 0) {
    throw new WideDeepError('GRAPH', `gradients of the non-scalar ${y.name} need an incoming gradient dy`);
  }
  const forward = g.nodes.slice();
  // Values that depend on some x in wrt: only their gradients are needed.
  const live = new Set<string>(wrt.map((v) => v.name));
  for (const n of forward) {
    if (n.inputs.some((v) => v !== null && live.has(v.name))) for (const o of n.outputs) live.add(o.name);
  }
  const grads = new Map<string, Value>();
  grads.set(y.name, dy ?? g.scalar(1, y.dtype === 'float64' ? 'float64' : 'float32'));
  for (let k = forward.length - 1; k >= 0; k--) {
    const n = forward[k]!;
    if (!n.outputs.some((o) => live.has(o.name) && grads.has(o.name))) continue;
    const rule = gradRules[n.opType];
    if (!rule) throw new WideDeepError('GRAPH', `no gradient rule for ${n.opType}`, { fix: 'add one in src/graph/gradients.ts' });
    const dIns = rule(g, n, n.outputs.map((o) => grads.get(o.name) ?? null));
    n.inputs.forEach((v, i) => {
      const d = dIns[i];
      if (!v || !d || !live.has(v.name)) return;
      const prev = grads.get(v.name);
      grads.set(v.name, prev ? op.add(g, prev, d) : d);
    });
  }
  return wrt.map((x) => grads.get(x.name) ?? op.zerosLike(g, x));
}
