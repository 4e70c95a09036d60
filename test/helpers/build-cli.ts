import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type { TestProject } from 'vitest/node';
import { alive } from './pid.js';

export const ROOT = resolve(import.meta.dirname, '../..');
/** In a run's tree: the transpiled src/ (at dist/'s depth), the CLI entry, and the kill-at-rename preload. */
export const CLI_SRC = 'src';
export const CLI_ENTRY = 'test-cli/entry.js';
export const KILL_AT_RENAME = 'test-cli/kill-at-rename.js';

/** The package-root entries the code finds by URLs relative to its own files (dist/'s layout). */
const LINKED = ['examples', 'schema', 'dist-studio', 'dist-web'];

let built: string | undefined;

/**
 * vitest globalSetup (vitest.config.ts): transpiles src/ with esbuild, file by file as tsx does it on every
 * start of a child, for the CLI child processes the tests start (test/helpers/cli-process.ts says why). The
 * tree is this run's own, in node_modules/.cache/widedeep-test-cli/: a package root like the repository's
 * (package.json, examples/, schema/, dist-studio/, dist-web/ linked beside the code, node_modules found above),
 * so that the code finds them by the same relative URLs as from src/ or dist/, and a run in the same working
 * tree that transpiles src/ while this one runs never changes what this one's children load.
 */
export async function setup(project: TestProject): Promise<void> {
  const { build } = await import('esbuild');
  const cache = join(ROOT, 'node_modules/.cache/widedeep-test-cli');
  mkdirSync(cache, { recursive: true });
  removeOrphans(cache);
  built = mkdtempSync(join(cache, `run-${process.pid}-`));
  copyFileSync(join(ROOT, 'package.json'), join(built, 'package.json'));
  for (const name of LINKED) symlinkSync(join(ROOT, name), join(built, name));
  const src = join(ROOT, 'src');
  const options = { format: 'esm', platform: 'node', target: 'node20', logLevel: 'error' } as const;
  await build({ ...options, entryPoints: tsFiles(src), outbase: src, outdir: join(built, CLI_SRC), tsconfig: join(ROOT, 'tsconfig.json') });
  await build({ ...options, entryPoints: [join(ROOT, 'test/helpers/kill-at-rename.ts')], outfile: join(built, KILL_AT_RENAME) });
  const entry = join(built, CLI_ENTRY);
  const main = relative(dirname(entry), join(built, CLI_SRC, 'cli/main.js'));
  writeFileSync(entry, `import { main } from '${main}';\n\nprocess.exitCode = await main(process.argv.slice(2));\n`);
  project.provide('widedeepCli', built);
}

/** Removes this run's tree. */
export function teardown(): void {
  if (built !== undefined) rmSync(built, { recursive: true, force: true });
}

/** Removes the trees of runs that ended without their teardown (a crash, a kill): their process is gone. */
function removeOrphans(cache: string): void {
  for (const name of readdirSync(cache)) {
    const pid = Number(/^run-(\d+)-/.exec(name)?.[1]);
    if (Number.isInteger(pid) && !alive(pid)) rmSync(join(cache, name), { recursive: true, force: true });
  }
}


/** Every .ts file under `dir`, but the studio's browser page (src/studio/app: bundled by scripts/build-studio.mjs). */
function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return p === join(ROOT, 'src/studio/app') ? [] : tsFiles(p);
    return p.endsWith('.ts') && !p.endsWith('.d.ts') ? [p] : [];
  });
}
