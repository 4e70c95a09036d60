import { type ChildProcess, fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type ErrorCode, WideDeepError } from '../core/errors.js';
import type { ChildReply, ChildRequest } from './job-child.js';

/** How to start the child entry: the compiled .js, or the .ts source through tsx's loader. */
function childEntry(): { file: string; execArgv: string[] } {
  const self = fileURLToPath(import.meta.url);
  if (self.endsWith('.ts')) {
    const tsx = createRequire(import.meta.url).resolve('tsx');
    return { file: self.replace(/job-process\.ts$/, 'job-child.ts'), execArgv: ['--import', pathToFileURL(tsx).href] };
  }
  return { file: self.replace(/job-process\.js$/, 'job-child.js'), execArgv: [] };
}

/** A job's child process died without answering: a crash, an out-of-memory kill, or our own stop. */
export class ChildExitError extends Error {
  override readonly name = 'ChildExitError';
}

/**
 * Runs one job in a fresh child process (job-child.ts) and resolves with its result. A WideDeepError thrown
 * by the job comes back as one (code and details kept); a child that exits without answering rejects with a
 * ChildExitError carrying the end of its stderr. `register` is told the child (to kill it on stop).
 */
export function runJobInChild(request: ChildRequest, register: (c: ChildProcess | null) => void): Promise<unknown> {
  const { file, execArgv } = childEntry();
  return new Promise((resolvePromise, reject) => {
    const child = fork(file, [], { execArgv, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    register(child);
    let stderr = '';
    let reply: ChildReply | null = null;
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    child.on('message', (m: ChildReply) => {
      reply = m;
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      register(null);
      const r = reply as ChildReply | null;
      if (r === null) reject(new ChildExitError(`the job's process exited with ${code ?? signal} before answering: ${stderr.trim().slice(-1000) || 'no output'}`));
      else if ('result' in r) resolvePromise(r.result);
      else reject(new WideDeepError(r.error.code as ErrorCode, r.error.reason, r.error.details));
    });
    child.send(request);
  });
}
