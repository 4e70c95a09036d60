export {
  type RowOptimizer,
  type RowOptimizerConfig,
  type RowOptimizerConfigInput,
  type RowOptimizerType,
  type FtrlConfig,
  type AdagradConfig,
  type LazyAdamConfig,
  type SgdConfig,
  ROW_OPTIMIZER_TYPES,
  ROW_OPTIMIZER_DEFAULTS,
  parseRowOptimizerConfig,
} from './row-optimizer.js';
export { createRowOptimizer } from './optimizers.js';
export { FtrlRowOptimizer } from './ftrl.js';
export { AdagradRowOptimizer } from './adagrad.js';
export { LazyAdamRowOptimizer } from './lazy-adam.js';
export { SgdRowOptimizer } from './sgd.js';
export {
  type InitializerConfig,
  type InitializerType,
  INITIALIZER_TYPES,
  parseInitializerConfig,
  initializerScale,
  initializeWeights,
} from './initializers.js';
export { type SparseTableConfig, type SparseTableConfigNormalized, SparseTable, parseSparseTableConfig } from './table.js';
export { RowSlotMap } from './row-slot-map.js';
export { type Pooling, type PooledSlot, type SequenceSlot, featureIndex } from './slots.js';
export { gatherPooled, gatherSequence } from './gather.js';
export { RowGradients } from './row-gradients.js';
export {
  type WideConfig,
  type WideConfigNormalized,
  type WideFeatureConfig,
  type WideTerm,
  type WideExplanation,
  WideLinear,
  parseWideConfig,
  sumWideColumns,
} from './wide.js';
export { TableAverage, checkDecay } from './average.js';
export { tableOver, sharedStorage, tableArena } from './shared-table.js';
export { SparseLanes, type PooledTable } from './lanes.js';
export { MAX_SPARSE_WORKERS, EMB_SOURCE, WIDE_SOURCE } from './lane-control.js';
