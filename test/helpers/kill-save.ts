import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildSync } from 'esbuild';
import type { StepHook } from '../../src/artifact/atomic-dir.js';
import type { CliResult } from './cli.js';
import { KILL_AT_RENAME, cliArgs } from './cli-process.js';

export { versionFiles } from './kill-save-child.js';

// Stopped saves, kept reachable so that the file handles they hold open are not closed by the garbage collector.
const stoppedSaves: Promise<never>[] = [];

/**
 * A save hook that stops the save for good before step `at` (its index, or its name): nothing of the save runs
 * afterwards, not even a `finally`, as after a kill. `stopped` resolves with the step's name.
 */
export function stopAt(at: number | string): { onStep: StepHook; stopped: Promise<string> } {
  let step = 0;
  let reached: (name: string) => void = () => undefined;
  const stopped = new Promise<string>((ok) => (reached = ok));
  const onStep: StepHook = (name) => {
    if ((typeof at === 'number' ? step++ : name) !== at) return;
    reached(name);
    const never = new Promise<never>(() => undefined);
    stoppedSaves.push(never);
    return never;
  };
  return { onStep, stopped };
}

let script: string | undefined;

/** kill-save-child.ts bundled into plain JavaScript once (esbuild, which tsx runs on): a child starts in 0.1 s, not 1. */
function childScript(): string {
  if (script !== undefined) return script;
  const out = join(mkdtempSync(join(tmpdir(), 'wd-kill-save-')), 'kill-save-child.mjs');
  const entry = resolve(import.meta.dirname, 'kill-save-child.ts');
  buildSync({ entryPoints: [entry], outfile: out, bundle: true, platform: 'node', format: 'esm', packages: 'external', logLevel: 'error' });
  return (script = out);
}

/**
 * Saves version `tag` (versionFiles) of `dir` in a child process that SIGKILLs itself right before step `k`
 * of the save (steps counted from 0 as `writeVersion` reports them); resolves with the signal that ended it.
 */
export function saveKilledAt(dir: string, tag: string, k: number): Promise<NodeJS.Signals | null> {
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, [childScript(), dir, tag, String(k)], { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('error', fail);
    child.on('close', (code, signal) => (signal === null && code !== 0 ? fail(new Error(`the save child exited with ${code}`)) : ok(signal)));
  });
}

/**
 * Runs the widedeep CLI from source (as runCli does) in a process that SIGKILLs itself right before its n-th
 * rename (test/helpers/kill-at-rename.ts); `code` is -1 when it was killed.
 */
export function runCliKilledAtRename(args: readonly string[], n: number): Promise<CliResult & { signal: NodeJS.Signals | null }> {
  const node = cliArgs(args, [KILL_AT_RENAME]);
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, node, { env: { ...process.env, WIDEDEEP_TEST_KILL_AT_RENAME: String(n) }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', fail);
    child.on('close', (code, signal) => ok({ code: code ?? -1, signal, stdout, stderr }));
  });
}
