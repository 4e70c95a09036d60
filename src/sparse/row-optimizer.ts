import { WideDeepError } from '../core/index.js';
import { checkKeys, expectObject, readNumber, readType } from './config-check.js';

/**
 * A row-sparse optimizer: it updates only the rows a batch touched, in place, inside one interleaved table.
 *
 * Table layout (owned by SparseTable): row r occupies `data[r * stride .. (r + 1) * stride)` with
 * `stride = dim + stateWidth(dim)`, laid out as `[ w (dim) | state (stateWidth(dim)) ]`. Each optimizer
 * documents its state layout.
 *
 * `updateRows` reads `count` unique row indices from `rows` and their gradients from `grads`
 * (`grads[i * dim .. (i + 1) * dim)` belongs to `rows[i]`; duplicates must already be summed). `step` is the
 * global 1-based training step (used by bias correction); `lr`, when given, overrides the configured base
 * learning rate for this call (schedules). It allocates nothing and never touches other rows.
 */
export interface RowOptimizer {
  readonly type: RowOptimizerType;
  /** Normalised config with every default filled in; round-trips through JSON. */
  readonly config: RowOptimizerConfig;
  /** The base learning rate a schedule scales (FTRL's alpha, the others' lr): what `lr` overrides. */
  readonly baseRate: number;
  /** Floats of optimizer state per row for rows of `dim` weights. */
  stateWidth(dim: number): number;
  /** Writes the initial state of rows [rowStart, rowEnd) (weights are left alone). */
  initState(data: Float32Array, dim: number, rowStart: number, rowEnd: number): void;
  updateRows(data: Float32Array, dim: number, rows: Int32Array, count: number, grads: Float32Array, step: number, lr?: number): void;
}

/** FTRL-Proximal (McMahan et al. 2013, Algorithm 1). `alpha` is the learning rate a schedule overrides. */
export interface FtrlConfig {
  readonly type: 'ftrl';
  readonly alpha: number;
  readonly beta: number;
  readonly l1: number;
  readonly l2: number;
  /** Initial value of the squared-gradient sum n (0 in the paper; TensorFlow uses 0.1). */
  readonly initialAccumulator: number;
}

/** AdaGrad (Duchi et al. 2011) in Keras' form: w -= lr * g / (sqrt(acc) + eps). */
export interface AdagradConfig {
  readonly type: 'adagrad';
  readonly lr: number;
  /** Initial accumulator value (TensorFlow default 0.1). */
  readonly initialAccumulator: number;
  readonly eps: number;
  /** L2 weight decay on the rows a step touches: g + weightDecay * w. Default 0. */
  readonly weightDecay: number;
}

/** Adam (Kingma & Ba 2015, Algorithm 1) applied lazily: only touched rows update their moments. */
export interface LazyAdamConfig {
  readonly type: 'lazy-adam';
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  /** L2 weight decay on the rows a step touches: g + weightDecay * w. Default 0. */
  readonly weightDecay: number;
}

/** Plain SGD with optional L2 weight decay on the touched rows: w -= lr * (g + weightDecay * w). */
export interface SgdConfig {
  readonly type: 'sgd';
  readonly lr: number;
  readonly weightDecay: number;
}

export type RowOptimizerConfig = FtrlConfig | AdagradConfig | LazyAdamConfig | SgdConfig;
export type RowOptimizerType = RowOptimizerConfig['type'];

/** What users write: the type plus any subset of that type's keys (missing keys take defaults). */
export type RowOptimizerConfigInput = { readonly [K in RowOptimizerConfig as K['type']]: Partial<K> & { readonly type: K['type'] } }[RowOptimizerType];

export const ROW_OPTIMIZER_TYPES: readonly RowOptimizerType[] = ['ftrl', 'adagrad', 'lazy-adam', 'sgd'];

/** Defaults of every optimizer, also the list of valid keys per type. */
export const ROW_OPTIMIZER_DEFAULTS: { readonly [K in RowOptimizerConfig as K['type']]: K } = {
  ftrl: { type: 'ftrl', alpha: 0.05, beta: 1, l1: 0, l2: 0, initialAccumulator: 0 },
  adagrad: { type: 'adagrad', lr: 0.01, initialAccumulator: 0.1, eps: 1e-7, weightDecay: 0 },
  'lazy-adam': { type: 'lazy-adam', lr: 0.001, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 },
  sgd: { type: 'sgd', lr: 0.01, weightDecay: 0 },
};

const positive = (v: number): boolean => v > 0;
const nonNegative = (v: number): boolean => v >= 0;
const unitInterval = (v: number): boolean => v >= 0 && v < 1;

/**
 * Parses and normalises an optimizer config from plain data (e.g. JSON). Unknown types, unknown keys and
 * out-of-range values throw `WideDeepError('CONFIG')` with `field` = `${path}.key`.
 */
export function parseRowOptimizerConfig(raw: unknown, path = 'optimizer'): RowOptimizerConfig {
  const obj = expectObject(raw, path);
  const type = readType(obj, path, ROW_OPTIMIZER_TYPES, 'row optimizer');
  const d = ROW_OPTIMIZER_DEFAULTS;
  checkKeys(obj, Object.keys(d[type]), path, `a "${type}" optimizer config`);
  const num = (key: string, fallback: number, ok: (v: number) => boolean, rule: string): number =>
    readNumber(obj, key, path, fallback, ok, rule);
  switch (type) {
    case 'ftrl':
      return {
        type,
        alpha: num('alpha', d.ftrl.alpha, positive, 'a number > 0'),
        beta: num('beta', d.ftrl.beta, nonNegative, 'a number >= 0'),
        l1: num('l1', d.ftrl.l1, nonNegative, 'a number >= 0'),
        l2: num('l2', d.ftrl.l2, nonNegative, 'a number >= 0'),
        initialAccumulator: num('initialAccumulator', d.ftrl.initialAccumulator, nonNegative, 'a number >= 0'),
      };
    case 'adagrad': {
      const cfg: AdagradConfig = {
        type,
        lr: num('lr', d.adagrad.lr, positive, 'a number > 0'),
        initialAccumulator: num('initialAccumulator', d.adagrad.initialAccumulator, nonNegative, 'a number >= 0'),
        eps: num('eps', d.adagrad.eps, nonNegative, 'a number >= 0'),
        weightDecay: num('weightDecay', d.adagrad.weightDecay, nonNegative, 'a number >= 0'),
      };
      if (cfg.initialAccumulator === 0 && cfg.eps === 0) {
        throw new WideDeepError('CONFIG', 'adagrad needs initialAccumulator > 0 or eps > 0, or a zero gradient divides by zero', {
          field: `${path}.eps`,
          fix: 'keep the default eps (1e-7) or initialAccumulator (0.1)',
        });
      }
      return cfg;
    }
    case 'lazy-adam':
      return {
        type,
        lr: num('lr', d['lazy-adam'].lr, positive, 'a number > 0'),
        beta1: num('beta1', d['lazy-adam'].beta1, unitInterval, 'a number in [0, 1)'),
        beta2: num('beta2', d['lazy-adam'].beta2, unitInterval, 'a number in [0, 1)'),
        eps: num('eps', d['lazy-adam'].eps, positive, 'a number > 0'),
        weightDecay: num('weightDecay', d['lazy-adam'].weightDecay, nonNegative, 'a number >= 0'),
      };
    case 'sgd':
      return {
        type,
        lr: num('lr', d.sgd.lr, positive, 'a number > 0'),
        weightDecay: num('weightDecay', d.sgd.weightDecay, nonNegative, 'a number >= 0'),
      };
  }
}

/** Checks the arguments of `updateRows` once per call (not per row). */
export function checkUpdateArgs(
  type: RowOptimizerType,
  data: Float32Array,
  dim: number,
  stride: number,
  rows: Int32Array,
  count: number,
  grads: Float32Array,
  step: number,
  lr: number | undefined,
): void {
  const fail = (msg: string, field: string, fix: string): never => {
    throw new WideDeepError('CONFIG', `${type}.updateRows: ${msg}`, { field, fix });
  };
  if (!Number.isInteger(step) || step < 1) fail(`step must be an integer >= 1, got ${step}`, 'step', 'count training steps from 1');
  if (lr !== undefined && !(lr > 0 && Number.isFinite(lr))) {
    fail(`lr must be a finite number > 0, got ${lr}`, 'lr', 'check the learning-rate schedule');
  }
  if (!Number.isInteger(count) || count < 0 || count > rows.length) {
    fail(`count ${count} must be an integer in [0, rows.length = ${rows.length}]`, 'count', 'pass the number of unique rows');
  }
  if (grads.length < count * dim) {
    fail(`grads holds ${grads.length} values, needs count * dim = ${count * dim}`, 'grads', 'lay gradients out as [count, dim]');
  }
  const numRows = Math.floor(data.length / stride);
  for (let i = 0; i < count; i++) {
    const r = rows[i] as number;
    if (r < 0 || r >= numRows) fail(`row ${r} is outside the table's [0, ${numRows})`, 'rows', 'pass row indices of this table');
  }
}
