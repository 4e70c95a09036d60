import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { ROOT, cliArgs } from './cli-process.js';

/** A `widedeep serve` child process that has printed its listening line. */
export interface ServeChild {
  readonly child: ChildProcess;
  /** The listening URL from the first stdout line. */
  readonly url: string;
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Resolves with the exit code once the process has closed. */
  readonly exited: Promise<number>;
}

/**
 * Starts `widedeep serve <args>` from the sources (test/helpers/cli-process.ts) and waits for its
 * `{"event":"listening","url":...}` line; rejects with its stderr when it exits before listening.
 */
export async function startServe(args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<ServeChild> {
  const child = spawn(process.execPath, cliArgs(['serve', ...args]), { cwd: ROOT, env });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number>((ok) => child.on('close', (code) => ok(code ?? -1)));
  const line = await new Promise<string>((ok, fail) => {
    createInterface({ input: child.stdout }).once('line', ok);
    child.once('close', () => fail(new Error(`serve exited before listening: ${stderr}`)));
  });
  const { url } = JSON.parse(line) as { url: string };
  return { child, url, stderr: () => stderr, exited };
}
