import type { Rng } from '../core/index.js';
import { checkKeys, expectObject, readNumber, readType } from './config-check.js';

/**
 * How a table's weights start. Fan convention: a table of shape [numRows, dim] is treated like Keras treats
 * an embedding matrix, fanIn = numRows (the vocabulary) and fanOut = dim, so
 *
 * - `xavier-uniform` (default for embeddings): U(-limit, limit), limit = sqrt(6 / (numRows + dim));
 * - `xavier-normal`: N(0, 2 / (numRows + dim)), untruncated (PyTorch's xavier_normal_);
 * - `truncated-normal`: N(0, stddev^2) redrawn outside +-2 stddev, stddev defaults to 1 / sqrt(dim)
 *   (TensorFlow's embedding_column default);
 * - `zeros` (wide weights).
 *
 * Row 0 (OOV / padding) is initialised and trained like every other row.
 */
export type InitializerConfig =
  | { readonly type: 'xavier-uniform' }
  | { readonly type: 'xavier-normal' }
  | { readonly type: 'truncated-normal'; readonly stddev?: number }
  | { readonly type: 'zeros' };

export type InitializerType = InitializerConfig['type'];

export const INITIALIZER_TYPES: readonly InitializerType[] = ['xavier-uniform', 'xavier-normal', 'truncated-normal', 'zeros'];

/** Parses an initializer config from plain data; `truncated-normal` may carry `stddev`, the others nothing. */
export function parseInitializerConfig(raw: unknown, path = 'init'): InitializerConfig {
  const obj = expectObject(raw, path);
  const type = readType(obj, path, INITIALIZER_TYPES, 'initializer');
  if (type !== 'truncated-normal') {
    checkKeys(obj, ['type'], path, `a "${type}" initializer`);
    return { type };
  }
  checkKeys(obj, ['type', 'stddev'], path, 'a "truncated-normal" initializer');
  if (obj['stddev'] === undefined) return { type };
  return { type, stddev: readNumber(obj, 'stddev', path, 0, (v) => v > 0, 'a number > 0') };
}

/** The uniform limit (xavier-uniform) or standard deviation (the normals) used for a [numRows, dim] table. */
export function initializerScale(init: InitializerConfig, numRows: number, dim: number): number {
  switch (init.type) {
    case 'xavier-uniform':
      return Math.sqrt(6 / (numRows + dim));
    case 'xavier-normal':
      return Math.sqrt(2 / (numRows + dim));
    case 'truncated-normal':
      return init.stddev ?? 1 / Math.sqrt(dim);
    case 'zeros':
      return 0;
  }
}

/**
 * Writes initial weights of rows [0, numRows) into an interleaved table (`stride` floats per row, weights
 * first), drawing numRows * dim values from `rng` in row-major order. State columns are left alone.
 */
export function initializeWeights(
  data: Float32Array,
  shape: { readonly numRows: number; readonly dim: number; readonly stride: number },
  init: InitializerConfig,
  rng: Rng,
): void {
  const { numRows, dim, stride } = shape;
  const scale = initializerScale(init, numRows, dim);
  const draw = drawFunction(init.type, rng);
  for (let r = 0; r < numRows; r++) {
    const base = r * stride;
    for (let k = 0; k < dim; k++) data[base + k] = draw() * scale;
  }
}

function drawFunction(type: InitializerType, rng: Rng): () => number {
  switch (type) {
    case 'xavier-uniform':
      return () => 2 * rng.uniform() - 1;
    case 'xavier-normal':
      return () => rng.normal();
    case 'truncated-normal':
      return () => rng.truncatedNormal();
    case 'zeros':
      return () => 0;
  }
}
