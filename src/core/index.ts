export { WideDeepError, assert, type ErrorCode, type ErrorDetails } from './errors.js';
export { Rng } from './rng.js';
export { type Tensor, sizeOf, tensor, zeros } from './tensor.js';
export { type SparseBatch, bagIndex, validateSparseBatch, sparseBatchFromBags } from './sparse-batch.js';
