import { WideDeepError } from '../core/index.js';
import { createRowOptimizer } from './optimizers.js';
import type { RowOptimizerConfigInput } from './row-optimizer.js';
import { kernelArena, kernelStorage } from './simd/kernels.js';
import { parseSparseTableConfig, SparseTable, type SparseTableConfig } from './table.js';

/**
 * A table whose `data` is `data` as given (e.g. a Float32Array over a SharedArrayBuffer that another thread
 * also holds): same fields as a table built from `config`, nothing initialised, nothing copied. `data` must
 * hold numRows * stride floats.
 */
export function tableOver(config: SparseTableConfig, data: Float32Array): SparseTable {
  const cfg = parseSparseTableConfig(config);
  // One row of zeros to learn stride and optimizer from the config, then the real rows.
  const shape = new SparseTable({ ...cfg, numRows: 1, init: { type: 'zeros' } }, undefined, (n) => new Float32Array(n));
  const need = cfg.numRows * shape.stride;
  if (data.length !== need) {
    throw new WideDeepError('SHAPE', `table ${cfg.name}: its storage holds ${data.length} floats, the table needs ${need}`, { field: `table(${cfg.name})` });
  }
  return Object.assign(shape, { numRows: cfg.numRows, init: cfg.init, data });
}

/**
 * Storage for `new SparseTable(config, rng, sharedStorage)`: zeros in shared memory, which worker threads can
 * share: a kernel memory (simd/kernels.ts) where one can be had, else a SharedArrayBuffer.
 */
export function sharedStorage(floats: number): Float32Array {
  return kernelStorage(floats) ?? new Float32Array(new SharedArrayBuffer(4 * floats));
}

/**
 * Storage for tables of these shapes, built in this order, in one kernel memory (`kernelArena`: a shared
 * memory, so sparse workers can share it): a part's tables side by side, with room beside them for the blocks
 * the kernels work in place. Undefined where they do not fit one memory or there are no kernels here.
 */
export function tableArena(tables: readonly { numRows: number; dim: number; optimizer: RowOptimizerConfigInput }[]): ((floats: number) => Float32Array) | undefined {
  return kernelArena(tables.map((t) => t.numRows * (t.dim + createRowOptimizer(t.optimizer).stateWidth(t.dim))));
}
