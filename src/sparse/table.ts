import { WideDeepError } from '../core/index.js';
import type { Rng } from '../core/index.js';
import { checkKeys, expectObject, readInt, readString } from './config-check.js';
import type { InitializerConfig } from './initializers.js';
import { initializeWeights, parseInitializerConfig } from './initializers.js';
import { createRowOptimizer } from './optimizers.js';
import type { RowOptimizer, RowOptimizerConfig, RowOptimizerConfigInput } from './row-optimizer.js';
import { parseRowOptimizerConfig } from './row-optimizer.js';
import { kernelStorage } from './simd/kernels.js';

/** Plain-data description of a table; round-trips through JSON (`table.config`). */
export interface SparseTableConfig {
  readonly name: string;
  readonly numRows: number;
  readonly dim: number;
  readonly optimizer: RowOptimizerConfigInput | RowOptimizerConfig;
  /** Default `{ type: 'xavier-uniform' }`. */
  readonly init?: InitializerConfig;
}

/** `SparseTableConfig` with every default filled in. */
export interface SparseTableConfigNormalized {
  readonly name: string;
  readonly numRows: number;
  readonly dim: number;
  readonly optimizer: RowOptimizerConfig;
  readonly init: InitializerConfig;
}

const TABLE_KEYS = ['name', 'numRows', 'dim', 'optimizer', 'init'];

/** Parses a table config from plain data. */
export function parseSparseTableConfig(raw: unknown, path = 'table'): SparseTableConfigNormalized {
  const obj = expectObject(raw, path);
  checkKeys(obj, TABLE_KEYS, path, 'a sparse table config');
  const name = readString(obj, 'name', path);
  const at = `${path}(${name})`;
  return {
    name,
    numRows: readInt(obj, 'numRows', at, 1),
    dim: readInt(obj, 'dim', at, 1),
    optimizer: parseRowOptimizerConfig(obj['optimizer'], `${at}.optimizer`),
    init: parseInitializerConfig(obj['init'] ?? { type: 'xavier-uniform' }, `${at}.init`),
  };
}

/** The default storage of a table: a kernel memory (simd/kernels.ts) where one can be had, else a Float32Array. */
function plainStorage(floats: number): Float32Array {
  return kernelStorage(floats) ?? new Float32Array(floats);
}

/**
 * A sparse parameter table: `numRows` rows of `dim` float32 weights, each followed by its optimizer state,
 * in one interleaved Float32Array:
 *
 * ```
 * data = [ w_0 (dim) | state_0 (stateWidth) | w_1 (dim) | state_1 | ... ]     stride = dim + stateWidth
 * ```
 *
 * Interleaving keeps a row's weights and moments in the same cache lines (1.3-1.5x faster than separate
 * arrays on big tables). Row 0 is the OOV / padding row; it is initialised and trained like any other row
 * (an unseen category learns its own vector / weight). The constructor draws the initial weights from `rng`
 * (numRows * dim draws, row-major); pass `rng.fork(name)` to make tables independent of creation order.
 * `rng` may be left out only for `{ type: 'zeros' }`. `storage` allocates `data`: by default in a kernel memory
 * of its own, where the SIMD kernels work it (simd/kernels.ts), else a plain Float32Array; `sharedStorage`
 * also shares it with the sparse workers.
 */
export class SparseTable {
  readonly name: string;
  readonly numRows: number;
  readonly dim: number;
  /** Floats per row: dim + optimizer.stateWidth(dim). */
  readonly stride: number;
  readonly optimizer: RowOptimizer;
  readonly init: InitializerConfig;
  /** Weights and optimizer state, interleaved per row (see the class comment). */
  readonly data: Float32Array;

  constructor(config: SparseTableConfig, rng?: Rng, storage: (floats: number) => Float32Array = plainStorage) {
    const cfg = parseSparseTableConfig(config);
    if (rng === undefined && cfg.init.type !== 'zeros') {
      throw new WideDeepError('CONFIG', `table ${cfg.name}: the ${cfg.init.type} initializer needs a seeded Rng`, {
        field: `table(${cfg.name}).init`,
        fix: 'pass rng.fork(name) as the second argument, or use { type: "zeros" }',
      });
    }
    this.name = cfg.name;
    this.numRows = cfg.numRows;
    this.dim = cfg.dim;
    this.optimizer = createRowOptimizer(cfg.optimizer);
    this.init = cfg.init;
    this.stride = cfg.dim + this.optimizer.stateWidth(cfg.dim);
    const size = this.numRows * this.stride;
    if (size > 2 ** 31 - 1) {
      throw new WideDeepError('CONFIG', `table ${this.name} needs ${size} floats, more than one Float32Array holds`, {
        field: `table(${this.name}).numRows`,
        fix: 'lower numRows (hash into fewer buckets) or dim',
      });
    }
    this.data = storage(size);
    if (rng !== undefined) initializeWeights(this.data, this, this.init, rng);
    this.optimizer.initState(this.data, this.dim, 0, this.numRows);
  }

  /** Plain-data config; `new SparseTable(JSON.parse(JSON.stringify(t.config)), rng)` rebuilds the same shape. */
  get config(): SparseTableConfigNormalized {
    return { name: this.name, numRows: this.numRows, dim: this.dim, optimizer: this.optimizer.config, init: this.init };
  }

  /** Copies row `row`'s weights into `out` at `outOffset` (default a new Float32Array of length dim). */
  readRow(row: number, out: Float32Array = new Float32Array(this.dim), outOffset = 0): Float32Array {
    this.checkRow(row);
    const base = row * this.stride;
    out.set(this.data.subarray(base, base + this.dim), outOffset);
    return out;
  }

  /** Overwrites row `row`'s weights (state untouched), e.g. from pretrained embeddings. */
  writeRow(row: number, values: ArrayLike<number>): void {
    this.checkRow(row);
    if (values.length !== this.dim) {
      throw new WideDeepError('SHAPE', `table ${this.name}: a row has ${this.dim} weights, got ${values.length}`, {
        field: 'values',
      });
    }
    this.data.set(values, row * this.stride);
  }

  /** The weights alone as a dense [numRows, dim] array (for ONNX export and serving bundles). */
  exportWeights(out: Float32Array = new Float32Array(this.numRows * this.dim)): Float32Array {
    if (out.length !== this.numRows * this.dim) {
      throw new WideDeepError('SHAPE', `table ${this.name}: weights need ${this.numRows * this.dim} floats, got ${out.length}`, {
        field: 'out',
      });
    }
    const { data, dim, stride } = this;
    for (let r = 0; r < this.numRows; r++) out.set(data.subarray(r * stride, r * stride + dim), r * dim);
    return out;
  }

  /** Sets the weights from a dense [numRows, dim] array; optimizer state is reset to its initial value. */
  importWeights(weights: Float32Array): void {
    if (weights.length !== this.numRows * this.dim) {
      throw new WideDeepError('BUNDLE', `table ${this.name}: expected ${this.numRows * this.dim} weights, got ${weights.length}`, {
        field: `table(${this.name}).weights`,
        fix: 'load weights saved from a table with the same numRows and dim',
      });
    }
    const { data, dim, stride } = this;
    for (let r = 0; r < this.numRows; r++) data.set(weights.subarray(r * dim, (r + 1) * dim), r * stride);
    this.optimizer.initState(data, dim, 0, this.numRows);
  }

  /** Weights and optimizer state, interleaved exactly as `data` (for checkpoints). A copy. */
  exportState(): Float32Array {
    return this.data.slice();
  }

  /** Restores what `exportState` saved from a table with the same config. */
  importState(state: Float32Array): void {
    if (state.length !== this.data.length) {
      throw new WideDeepError(
        'BUNDLE',
        `table ${this.name}: checkpoint holds ${state.length} floats, this table (${this.numRows} rows x stride ${this.stride}, ` +
          `optimizer ${this.optimizer.type}) needs ${this.data.length}`,
        { field: `table(${this.name}).state`, fix: 'restore with the same numRows, dim and optimizer type as when it was saved' },
      );
    }
    this.data.set(state);
  }

  private checkRow(row: number): void {
    if (!Number.isInteger(row) || row < 0 || row >= this.numRows) {
      throw new WideDeepError('SHAPE', `table ${this.name}: row ${row} is outside [0, ${this.numRows})`, { field: 'row' });
    }
  }
}
