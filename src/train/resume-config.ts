import { isDeepStrictEqual } from 'node:util';
import { WideDeepError } from '../core/errors.js';
import { type RunConfig, parseRunConfig } from './run-config.js';

/**
 * `--resume` continues a run from its checkpoint with the same result as an uninterrupted run, which holds
 * only if the run goes on under the config it started with. A checkpoint records that config (manifest
 * `config`, as written) and the seed; this compares the two configs as parsed (defaults filled in, so a key
 * written out with its default value is no change) and refuses a resume where they differ.
 *
 * May change: how long the run goes on (`train.epochs`, `train.maxSteps`: resuming for more epochs is
 * continuing it), whether it keeps checkpoints, the intra-op threads (the machine the run goes on on may have
 * other cores; results agree to the last digits), the sparse worker threads (the weights are the same bit for
 * bit with any count), the data directory (the data is found elsewhere, not other
 * data) and the description.
 */
const MAY_CHANGE: ReadonlySet<string> = new Set(['train.epochs', 'train.maxSteps', 'train.checkpoint', 'train.threads', 'train.sparseWorkers', 'data.dataDir']);

/** Paths (`train.ema.decay`, `model.deep.hidden[1]`) where the effective configs differ, in key order. */
export function configDifferences(recorded: RunConfig, current: RunConfig): string[] {
  const out: string[] = [];
  for (const key of ['seed', 'data', 'features', 'model', 'train'] as const) differingPaths(recorded[key], current[key], key, out);
  return out.filter((p) => !MAY_CHANGE.has(p));
}

/**
 * Throws a CONFIG error naming every key (up to five) where `current` differs from the config recorded in the
 * checkpoint (`recordedRaw` as written, `recordedSeed` the seed the run used, command-line override included).
 */
export function checkResumeConfig(current: RunConfig, recordedRaw: unknown, recordedSeed: number, checkpoint: string): void {
  let recorded: RunConfig;
  try {
    recorded = { ...parseRunConfig(recordedRaw), seed: recordedSeed };
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new WideDeepError('BUNDLE', `--resume: the config recorded in the checkpoint no longer parses (${why})`, {
      file: checkpoint,
      fix: 'the checkpoint was written by another widedeep version: start the run over without --resume',
    });
  }
  const paths = configDifferences(recorded, current);
  if (paths.length === 0) return;
  const shown = paths.slice(0, 5).map((p) => `${p} (checkpoint ${describe(valueAt(recorded, p))}, now ${describe(valueAt(current, p))})`);
  const more = paths.length > 5 ? ` and ${paths.length - 5} more` : '';
  throw new WideDeepError('CONFIG', `--resume: the config differs from the checkpointed run's at ${shown.join(', ')}${more}; the resumed run would not end as the uninterrupted one`, {
    file: checkpoint,
    field: paths[0] as string,
    fix: 'resume with the config (and --seed) the run started with, or start over without --resume; only train.epochs, train.maxSteps, train.checkpoint, train.threads and the data directory may change',
  });
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;
}

/** Appends to `out` the paths under `path` where a and b differ (a missing key equals an undefined one). */
function differingPaths(a: unknown, b: unknown, path: string, out: string[]): void {
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    for (const k of keys) differingPaths(a[k], b[k], `${path}.${k}`, out);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    for (let i = 0; i < a.length; i++) differingPaths(a[i], b[i], `${path}[${i}]`, out);
    return;
  }
  if (!isDeepStrictEqual(a, b)) out.push(path);
}

/** The value at a path from `differingPaths`. */
function valueAt(root: RunConfig, path: string): unknown {
  let v: unknown = root;
  for (const part of path.split(/\.|(?=\[)/)) {
    if (v === null || typeof v !== 'object') return undefined;
    const index = /^\[(\d+)\]$/.exec(part);
    v = index !== null ? (v as unknown[])[Number(index[1])] : (v as Record<string, unknown>)[part];
  }
  return v;
}

function describe(v: unknown): string {
  if (v === undefined) return 'not set';
  const text = JSON.stringify(v);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
