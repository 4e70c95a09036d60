import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { WideDeepError } from '../core/errors.js';
import type { TrialCurves } from '../experiments/curves.js';
import type { ColumnImportance } from '../experiments/importance.js';
import type { EpochSummary } from '../experiments/trial.js';
import type { Metrics } from '../train/trainer.js';

/**
 * The record of one `widedeep fit`: `<out>/run.json`, written by every fit (not only with --report) beside the
 * bundle. It is the contract between fit and what draws a run: the run page (`fit --report`, run-page.ts) and
 * the studio's runs view read this file and nothing else. Field names follow the experiment trial's record
 * (src/experiments/trial.ts) so that one chart code serves both.
 */
export const RUN_RECORD_FILE = 'run.json';
export const RUN_RECORD_FORMAT = 1;

/** Parameters of one tensor of the model (a sparse table or a dense weight), by the part that trains it. */
export interface ParameterCount {
  /** The tensor's name, as in the bundle (`wide`, `emb.user_id`, `dense.deep.l0.weight`). */
  readonly tensor: string;
  /** The parameter group: `wide`, `embeddings` or `deep`. */
  readonly group: string;
  /** Number of float32 weights (optimizer state not counted). */
  readonly count: number;
}

export interface RunRecord {
  /** Version of this layout (1); a reader refuses another. */
  readonly format: typeof RUN_RECORD_FORMAT;
  /** What wrote the record: `fit` (demo runs too; they are fits). */
  readonly kind: 'fit';
  /** The run's name: the base name of its output directory. */
  readonly name: string;
  /** When the record was written (ISO 8601, UTC). */
  readonly createdAt: string;
  /**
   * The run config as the file gave it (before defaults; the bundle records the same). Command-line overrides
   * are not in it: `seed` below is the seed used, and `history` shows the epochs run.
   */
  readonly config: Record<string, unknown>;
  /** The data: dataset or files, row counts, rows skipped (the bundle's fingerprint). */
  readonly dataFingerprint: Record<string, unknown> | null;
  /** The seed the run trained with. */
  readonly seed: number;
  /** `binary`, `regression` or `multiclass`. */
  readonly objective: string;
  /** Epochs of the run early stopping watched: train loss, rows/s, seconds, validation metrics (learning curves). */
  readonly history: readonly EpochSummary[];
  /** train.refit: the refit's epochs (no validation), or null without refit. */
  readonly refit: { readonly epochs: number; readonly rows: number; readonly history: readonly EpochSummary[] } | null;
  /** Validation metrics of the model trained with the validation split; null under train.refit or without validation. */
  readonly validation: Metrics | null;
  /** Test metrics of the final model. */
  readonly test: Metrics | null;
  /**
   * Test-split curves (ROC, PR, calibration with counts, score histogram) of binary models; null for other
   * objectives, one-class test splits and stream-mode runs (which hold no test rows).
   */
  readonly curves: TrialCurves | null;
  /**
   * Permutation importance per input column on the test split (at most 10,000 rows, seed 0): the test
   * metric lost when the column is shuffled; null for multi-class models and stream-mode runs.
   */
  readonly importance: readonly ColumnImportance[] | null;
  /** Weights per tensor of the final model. */
  readonly parameters: readonly ParameterCount[];
  /** Wall time of the fit (data, training, evaluation), without writing the record and page. */
  readonly seconds: number;
  /** Training rows per second over every epoch (the refit's included). */
  readonly rowsPerSec: number | null;
  /** Peak resident memory of the process, MB. */
  readonly peakRssMB: number;
  /** ONNX Runtime intra-op threads the model's sessions ran with. */
  readonly threads: number;
  readonly library: { readonly name: 'widedeep'; readonly version: string };
  /** Node.js version (`process.version`). */
  readonly node: string;
  /** The model bundle, relative to the run's directory (`model`). */
  readonly model: string;
}

/** The fields a reader needs, with the type each must have. */
const REQUIRED: readonly [keyof RunRecord, 'string' | 'number' | 'object' | 'array' | 'object|null' | 'array|null' | 'number|null'][] = [
  ['name', 'string'],
  ['createdAt', 'string'],
  ['config', 'object'],
  ['seed', 'number'],
  ['objective', 'string'],
  ['history', 'array'],
  ['refit', 'object|null'],
  ['validation', 'object|null'],
  ['test', 'object|null'],
  ['curves', 'object|null'],
  ['importance', 'array|null'],
  ['parameters', 'array'],
  ['seconds', 'number'],
  ['rowsPerSec', 'number|null'],
  ['threads', 'number'],
  ['model', 'string'],
];

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  return Array.isArray(v) ? 'array' : typeof v;
}

/** Checks a parsed run.json; returns it typed, or throws a DATA error naming the file and the field. */
export function checkRunRecord(value: unknown, file: string): RunRecord {
  const fix = 'rerun widedeep fit (it rewrites run.json), or restore the file';
  if (typeOf(value) !== 'object') throw new WideDeepError('DATA', `the run record is ${typeOf(value)}, not a JSON object`, { file, fix });
  const obj = value as Record<string, unknown>;
  if (obj['format'] !== RUN_RECORD_FORMAT || obj['kind'] !== 'fit') {
    throw new WideDeepError('DATA', `not a run record of format ${RUN_RECORD_FORMAT} (format ${JSON.stringify(obj['format'])}, kind ${JSON.stringify(obj['kind'])})`, {
      file,
      field: obj['format'] !== RUN_RECORD_FORMAT ? 'format' : 'kind',
      fix: 'read it with the widedeep version that wrote it, or rerun widedeep fit',
    });
  }
  for (const [key, want] of REQUIRED) {
    const got = typeOf(obj[key]);
    if (!want.split('|').includes(got)) throw new WideDeepError('DATA', `${key} should be ${want.replace('|', ' or ')}, it is ${got}`, { file, field: key, fix });
  }
  return obj as unknown as RunRecord;
}

/** Reads `<dir>/run.json` (what every `widedeep fit --out <dir>` writes); errors name the file. */
export async function readRunRecord(dir: string): Promise<RunRecord> {
  const file = join(dir, RUN_RECORD_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    throw new WideDeepError('IO', missing ? `no run record in ${dir}` : `cannot read the run record: ${(err as Error).message}`, {
      file,
      fix: missing ? `give the output directory of a widedeep fit (it writes ${RUN_RECORD_FILE}), or fit again with --out ${dir}` : 'check the permissions of the file',
    }, { cause: err });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new WideDeepError('DATA', `the run record is not valid JSON: ${(err as Error).message}`, { file, fix: 'rerun widedeep fit (it rewrites run.json), or restore the file' }, { cause: err });
  }
  return checkRunRecord(parsed, file);
}
