import { join } from 'node:path';
import { WideDeepError } from '../core/errors.js';
import { readResults } from '../experiments/results-file.js';
import type { TrialRecord } from '../experiments/trial.js';
import { readRunRecord, RUN_RECORD_FILE, type RunRecord } from '../report/run-record.js';
import { findRunFiles } from './runs-index.js';

/**
 * The studio's runs: every fit (a folder with run.json) and every experiment trial (a line of a results file)
 * under the --runs directory, each with an id the page puts in its URL. Ids: `fit:<folder>` and
 * `trial:<results file>#<n>` (the n-th trial of the file, 0-based), paths relative to the root with `/`.
 * Unreadable files are listed with their error, never fatal: one broken run does not hide the others.
 */

export interface RunSummary {
  readonly id: string;
  readonly kind: 'fit' | 'trial';
  /** The fit's folder name, or `suite / variant / seed n` for a trial. */
  readonly name: string;
  /** The file the run was read from, relative to the root. */
  readonly path: string;
  readonly createdAt: string | null;
  readonly objective: string | null;
  readonly status: string;
  readonly suite: string | null;
  readonly variant: string | null;
  readonly seed: number | null;
  readonly epochs: number;
  readonly seconds: number | null;
  readonly validation: Readonly<Record<string, unknown>> | null;
  readonly test: Readonly<Record<string, unknown>> | null;
}

export interface RunsListing {
  readonly root: string;
  readonly runs: readonly RunSummary[];
  readonly errors: readonly { readonly path: string; readonly error: string }[];
}

/** A run and its record as written: a fit's run.json, or a trial's line of its results file. */
export type FoundRun = { readonly summary: RunSummary & { readonly kind: 'fit' }; readonly record: RunRecord } | { readonly summary: RunSummary & { readonly kind: 'trial' }; readonly record: TrialRecord };

function fitSummary(folder: string, r: RunRecord): RunSummary {
  return {
    id: `fit:${folder}`,
    kind: 'fit',
    name: r.name,
    path: folder === '' ? RUN_RECORD_FILE : `${folder}/${RUN_RECORD_FILE}`,
    createdAt: r.createdAt,
    objective: r.objective,
    status: 'ok',
    suite: null,
    variant: null,
    seed: r.seed,
    epochs: r.history.length,
    seconds: r.seconds,
    validation: r.validation,
    test: r.test,
  };
}

function trialSummary(file: string, index: number, r: TrialRecord): RunSummary {
  return {
    id: `trial:${file}#${index}`,
    kind: 'trial',
    name: `${r.suite} / ${r.variant} / seed ${r.seed}`,
    path: file,
    createdAt: null,
    objective: r.objective,
    status: r.status,
    suite: r.suite,
    variant: r.variant,
    seed: r.seed,
    epochs: r.history.length,
    seconds: r.seconds,
    validation: r.validation,
    test: r.test,
  };
}

const message = (err: unknown): string => (err instanceof WideDeepError ? `${err.reason}${err.details.fix !== undefined ? ` (fix: ${err.details.fix})` : ''}` : (err as Error).message);

/** Every run under `root`: fits first (by folder), then each results file's trials in file order. */
export async function listRuns(root: string): Promise<RunsListing> {
  const found = findRunFiles(root);
  const runs: RunSummary[] = [];
  const errors = [...found.errors];
  for (const folder of found.fits) {
    try {
      runs.push(fitSummary(folder, await readRunRecord(join(root, folder))));
    } catch (err) {
      errors.push({ path: folder === '' ? RUN_RECORD_FILE : `${folder}/${RUN_RECORD_FILE}`, error: message(err) });
    }
  }
  for (const file of found.results) {
    try {
      readResults(join(root, file)).forEach((r, i) => runs.push(trialSummary(file, i, r)));
    } catch (err) {
      errors.push({ path: file, error: message(err) });
    }
  }
  return { root, runs, errors };
}

/** The run of an id, or null when no such run exists (an error reading its file is thrown, naming the file). */
export async function findRun(root: string, id: string): Promise<FoundRun | null> {
  const found = findRunFiles(root);
  if (id.startsWith('fit:')) {
    const folder = id.slice(4);
    if (!found.fits.includes(folder)) return null;
    const record = await readRunRecord(join(root, folder));
    return { summary: { ...fitSummary(folder, record), kind: 'fit' }, record };
  }
  const m = /^trial:(.+)#(\d+)$/.exec(id);
  if (m === null || !found.results.includes(m[1] as string)) return null;
  const file = m[1] as string;
  const index = Number(m[2]);
  const record = readResults(join(root, file))[index];
  return record === undefined ? null : { summary: { ...trialSummary(file, index, record), kind: 'trial' }, record };
}
