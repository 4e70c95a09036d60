import { WideDeepError } from '../core/errors.js';
import { slotsOf } from '../graph/optimizers.js';
import { buildForward } from '../graph/train-step.js';
import { createRowOptimizer } from '../sparse/index.js';
import { AVERAGE_PREFIX } from './average.js';
import { checkBuildable } from './buildable.js';
import type { ModelConfig } from './config.js';
import { makeForward } from './forward.js';
import { denseOptimizersOf, partsOf } from './parts/index.js';
import type { ModelSizes } from './sizes.js';
import { LOSS } from './wide-deep.js';

/**
 * The tensors `WideDeepModel.exportState(kind)` holds for a model of these sizes and config, by name, with
 * their number of floats, worked out without building the model: no table, parameter or session is
 * allocated (the dense part's shapes come from its graph, which holds no weights). `averages`: the weight
 * averages a `full` state of a model trained with `train.ema` holds besides (empty for `weights`).
 *
 * Sparse tables: `wide` (`wide.<k>` per class) and `emb.<key>`, `numRows * dim` floats for `weights`,
 * `numRows * (dim + optimizer state width)` for `full`. Dense: `dense.<param>` and `dense.<buffer>`, and for
 * `full` the optimizer slots `dense.<param>__<slot>`. Averages: `ema.<table>` `[numRows, dim]`,
 * `ema.dense.<param>`. Sizes may be beyond what memory holds: they are plain numbers here, for a caller to
 * compare with what a file holds before anything of that size is made.
 */
export function stateLayoutOf(sizes: ModelSizes, config: ModelConfig, kind: 'full' | 'weights'): { tensors: Map<string, number>; averages: Map<string, number> } {
  checkBuildable(sizes, config);
  const tensors = new Map<string, number>();
  const averages = new Map<string, number>();
  for (const part of partsOf(config)) {
    for (const t of part.tables(sizes, config)) {
      const stride = kind === 'full' ? t.dim + createRowOptimizer(t.optimizer).stateWidth(t.dim) : t.dim;
      tensors.set(t.name, t.numRows * stride);
      if (kind === 'full') averages.set(`${AVERAGE_PREFIX}${t.name}`, t.numRows * t.dim);
    }
  }
  const forward = buildForward({ forward: makeForward(sizes, config, () => undefined), loss: LOSS[sizes.objective] });
  const optimizers = denseOptimizersOf(config);
  const floats = (shape: readonly number[]): number => shape.reduce((a, d) => a * d, 1);
  for (const p of forward.params) {
    tensors.set(`dense.${p.name}`, floats(p.shape));
    if (kind !== 'full') continue;
    const optimizer = optimizers[p.group];
    if (!optimizer) throw new WideDeepError('CONFIG', `no optimizer for parameter group ${p.group}`, { field: `model.optimizers.${p.group}` });
    for (const s of slotsOf(optimizer)) tensors.set(`dense.${p.name}__${s.name}`, floats(p.shape));
    averages.set(`${AVERAGE_PREFIX}dense.${p.name}`, floats(p.shape));
  }
  for (const b of forward.buffers) tensors.set(`dense.${b.name}`, floats(b.shape));
  return { tensors, averages };
}
