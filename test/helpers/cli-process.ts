import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { inject } from 'vitest';
import { CLI_ENTRY } from './build-cli.js';

export { KILL_AT_RENAME, ROOT } from './build-cli.js';

/**
 * How tests start the widedeep CLI as a child process: `node <this run's tree>/test-cli/entry.js <args>`. The
 * CLI, train, serve, stream and scale tests start many such children; under `node --import tsx
 * test/helpers/cli-entry.ts` each spent ~1.3-1.5 s of CPU more on its start (~3.7 s against ~2.2 s for a small
 * `fit`), tsx's loader hooks resolving and loading every module, node_modules included, through a second
 * thread. The transpiled tree (test/helpers/build-cli.ts, vitest's globalSetup) is the source of this run, file
 * by file as tsx would transpile it; its worker threads and child processes start from .js as dist/'s do.
 */
declare module 'vitest' {
  export interface ProvidedContext {
    /** The run's tree of transpiled sources (test/helpers/build-cli.ts). */
    widedeepCli: string;
  }
}

/** A file of the run's tree; throws when globalSetup has not built it (a test run outside vitest.config.ts). */
export function cliFile(file: string): string {
  const tree = inject('widedeepCli');
  const path = tree === undefined ? undefined : join(tree, file);
  if (path === undefined || !existsSync(path)) {
    throw new Error(`${file} of the transpiled CLI is missing: run the tests through vitest.config.ts, whose globalSetup (test/helpers/build-cli.ts) writes it`);
  }
  return path;
}

/**
 * The node arguments that run `widedeep <args>` (spawn(process.execPath, cliArgs(args))); `preload` files of
 * the run's tree (KILL_AT_RENAME) are imported first.
 */
export function cliArgs(args: readonly string[], preload: readonly string[] = []): string[] {
  return [...preload.flatMap((p) => ['--import', pathToFileURL(cliFile(p)).href]), cliFile(CLI_ENTRY), ...args];
}
