import { readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { RUN_RECORD_FILE } from '../report/run-record.js';

/**
 * Finds what the studio lists under its --runs directory: every fit's record (`run.json`, written by
 * `widedeep fit`) and every experiment results file (`*.jsonl`, written by `widedeep experiment`). A walk,
 * not a glob: folders that cannot be read are listed as errors rather than stopping it, and the folders a
 * run never keeps records in (model bundle versions, node_modules, dot folders) are not entered.
 */

export interface FoundFiles {
  /** Folders holding a run.json, relative to the root ('' for the root itself), sorted. */
  readonly fits: readonly string[];
  /** Results files, relative to the root, sorted. */
  readonly results: readonly string[];
  /** Paths (relative) that could not be read, with the reason. */
  readonly errors: readonly { readonly path: string; readonly error: string }[];
}

/** Folders deeper than this under the root are not walked (a runs directory is a few levels deep). */
const MAX_DEPTH = 8;

function skipped(name: string): boolean {
  return name.startsWith('.') || name === 'node_modules' || /^v-\d+$/.test(name) || name.startsWith('.tmp');
}

/** Walks `root` for run.json files and *.jsonl results files. A missing root is an empty listing with its error. */
export function findRunFiles(root: string): FoundFiles {
  const fits: string[] = [];
  const results: string[] = [];
  const errors: { path: string; error: string }[] = [];
  const rel = (p: string) => relative(root, p).split(sep).join('/');
  const walk = (dir: string, depth: number): void => {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch (err) {
      errors.push({ path: rel(dir) || '.', error: (err as Error).message });
      return;
    }
    for (const name of names) {
      const p = join(dir, name);
      let isDir: boolean;
      try {
        isDir = statSync(p).isDirectory();
      } catch (err) {
        errors.push({ path: rel(p), error: (err as Error).message });
        continue;
      }
      if (isDir) {
        if (!skipped(name) && depth < MAX_DEPTH) walk(p, depth + 1);
      } else if (name === RUN_RECORD_FILE) fits.push(rel(dir));
      else if (name.endsWith('.jsonl')) results.push(rel(p));
    }
  };
  walk(root, 0);
  return { fits: fits.sort(), results: results.sort(), errors };
}
