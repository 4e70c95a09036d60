import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * The shared data (UCI Adult, MovieLens 100K, the Criteo sample): WIDEDEEP_DATA_DIR, else ../shared/data
 * next to the repository, as the CLI resolves it. CI has it; a fresh clone may not, and then the tests that
 * need it skip with one line saying what is missing.
 */
export const DATA_DIR = process.env.WIDEDEEP_DATA_DIR ?? resolve(import.meta.dirname, '../../../shared/data');

/** Whether `file` (relative to DATA_DIR) is there. */
export function hasData(file: string): boolean {
  return existsSync(join(DATA_DIR, file));
}

/** Skips the running test, with one line naming the missing file, unless `file` is there. */
export function needData(file: string, what: string, ctx: { skip: () => void }): void {
  if (hasData(file)) return;
  console.log(`skipped ${what}: ${join(DATA_DIR, file)} is missing (set WIDEDEEP_DATA_DIR)`);
  ctx.skip();
}
