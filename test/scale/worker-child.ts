import { type ChildProcess, spawn } from 'node:child_process';
import { ROOT, cliArgs } from '../helpers/cli-process.js';

/** A `widedeep worker` child process (from the sources) that has said it is ready. */
export interface WorkerChild {
  readonly child: ChildProcess;
  /** Everything written to stderr so far (its progress lines). */
  stderr(): string;
  /** Resolves when a stderr line matches `re` (rejects if the process ends first). */
  waitFor(re: RegExp): Promise<string>;
  /** Resolves with the exit code (or the signal's name) once the process has closed. */
  readonly exited: Promise<number | string>;
}

/**
 * Starts `widedeep worker --queue <url> <args>` (test/helpers/cli-process.ts) and waits for its ready line:
 * a real process, killed or stopped by the test.
 */
export async function startWorker(url: string, args: readonly string[] = [], env: NodeJS.ProcessEnv = process.env): Promise<WorkerChild> {
  const child = spawn(process.execPath, cliArgs(['worker', '--queue', url, ...args]), { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const watchers: { re: RegExp; ok: (line: string) => void }[] = [];
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
    for (const w of [...watchers]) {
      const line = stderr.split('\n').find((l) => w.re.test(l));
      if (line !== undefined) {
        watchers.splice(watchers.indexOf(w), 1);
        w.ok(line);
      }
    }
  });
  const exited = new Promise<number | string>((ok) => child.on('close', (code, signal) => ok(code ?? signal ?? -1)));
  const waitFor = (re: RegExp) =>
    new Promise<string>((ok, fail) => {
      const line = stderr.split('\n').find((l) => re.test(l));
      if (line !== undefined) return ok(line);
      watchers.push({ re, ok });
      void exited.then((code) => fail(new Error(`worker exited (${code}) before a line matched ${re}: ${stderr}`)));
    });
  await waitFor(/ ready on /);
  return { child, stderr: () => stderr, waitFor, exited };
}

/** Stops a worker with SIGTERM (it gives its jobs back) and waits for it to close. */
export async function stopWorker(w: WorkerChild): Promise<number | string> {
  if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGTERM');
  return w.exited;
}
