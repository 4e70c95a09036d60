/**
 * The servers of the serving benchmark (bench/serve-case.ts), each a child process serving the same bundle on
 * a free loopback port: `widedeep serve` (the CLI from the sources, as a user runs it), the PyTorch peer on
 * Python's http.server (bench/torch_serve.py) and on FastAPI + uvicorn (bench/torch_serve_fastapi.py), and the
 * floor (bench/serve-floor.ts: a node:http server without a model).
 *
 * A server is ready when it printed its {"event":"listening","url"} line, every FastAPI worker its
 * {"event":"worker_ready"} line, and GET /health answers 200. Each child leads its own process group, so that
 * stopping it (SIGTERM, then SIGKILL after 10 s) reaches uvicorn's and widedeep's workers too; the CPU time of
 * the whole process tree is read from /proc, to say how much of the machine each server used.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

type Json = Record<string, unknown>;

export interface ServerSpec {
  /** Its name in the results, e.g. `widedeep`, `fastapi-w2`. */
  readonly name: string;
  readonly kind: 'widedeep' | 'baseline' | 'httpserver' | 'fastapi' | 'floor';
  /** widedeep / baseline: the tree whose CLI runs (default: this one). */
  readonly root?: string;
  /** Extra command-line arguments (e.g. ['--workers', '2']). */
  readonly args: readonly string[];
  /** FastAPI: worker_ready lines to wait for. */
  readonly workers?: number;
  /** Discard the server's stderr (widedeep's request log) instead of passing it through. */
  readonly quiet?: boolean;
  /** `taskset -c CPUS` for the server's processes (the --pin mode). */
  readonly cpus?: string;
}

export interface RunningServer {
  readonly spec: ServerSpec;
  readonly url: string;
  readonly pid: number;
  /** The listening line, and the ready lines of FastAPI's workers (their BLAS fields). */
  readonly lines: readonly Json[];
  stop(): Promise<void>;
}

const PYTHON = process.env.WIDEDEEP_TORCH_PYTHON ?? '/usr/bin/python3';
const flags = (text: string): string[] => text.split(' ').filter((a) => a !== '');
/** Extra Node flags for the widedeep servers, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile one (Node refuses those in NODE_OPTIONS). */
const NODE_ARGS = flags(process.env.WIDEDEEP_BENCH_NODE_ARGS ?? '');
/** The baseline server's flags, when they differ (an A/B of a flag: `--baseline-root` this same tree). */
const BASELINE_NODE_ARGS = process.env.WIDEDEEP_BENCH_BASELINE_NODE_ARGS === undefined ? NODE_ARGS : flags(process.env.WIDEDEEP_BENCH_BASELINE_NODE_ARGS);

function command(root: string, spec: ServerSpec, bundle: string): string[] {
  switch (spec.kind) {
    case 'widedeep':
    case 'baseline':
      return [process.execPath, ...(spec.kind === 'baseline' ? BASELINE_NODE_ARGS : NODE_ARGS), '--import', 'tsx', join(spec.root ?? root, 'test/helpers/cli-entry.ts'), 'serve', '--model', bundle, '--port', '0', ...spec.args];
    case 'httpserver':
      return [PYTHON, join(root, 'bench/torch_serve.py'), '--bundle', bundle, ...spec.args];
    case 'fastapi':
      return [PYTHON, join(root, 'bench/torch_serve_fastapi.py'), '--bundle', bundle, ...spec.args];
    case 'floor':
      return [process.execPath, '--import', 'tsx', join(root, 'bench/serve-floor.ts')];
  }
}

async function healthy(url: string, deadline: number): Promise<void> {
  for (;;) {
    try {
      const res = await fetch(`${url}/health`);
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`${url}/health did not answer: ${(err as Error).message}`);
    }
    if (Date.now() > deadline) throw new Error(`${url}/health did not answer 200`);
    await new Promise((ok) => setTimeout(ok, 100));
  }
}

/**
 * Resolves once `wanted` JSON lines (lines starting with `{`) were read from a server's stdout, each pushed to
 * `lines`. A line that does not parse rejects, naming the server and the line: the start fails and the caller
 * stops the servers it started (a parse error thrown in the line handler had killed the bench process instead,
 * with every server left running).
 */
export function readyLines(stdout: Readable, wanted: number, name: string, lines: Json[]): Promise<void> {
  return new Promise<void>((ok, fail) => {
    createInterface({ input: stdout }).on('line', (line) => {
      if (!line.startsWith('{')) return;
      try {
        lines.push(JSON.parse(line) as Json);
      } catch (err) {
        fail(new Error(`${name}: an unreadable line on its stdout (${(err as Error).message}): ${line.slice(0, 200)}`));
        return;
      }
      if (lines.length === wanted) ok();
    });
  });
}

/** Starts a server on `bundle` and waits until it is ready (at most `timeoutS` seconds). */
export async function startServer(root: string, spec: ServerSpec, bundle: string, timeoutS = 120): Promise<RunningServer> {
  const argv = command(root, spec, bundle);
  const full = spec.cpus !== undefined ? ['taskset', '-c', spec.cpus, ...argv] : argv;
  const child: ChildProcess = spawn(full[0]!, full.slice(1), { cwd: spec.root ?? root, detached: true, stdio: ['ignore', 'pipe', spec.quiet ? 'ignore' : 'inherit'] });
  const lines: Json[] = [];
  const wanted = 1 + (spec.kind === 'fastapi' ? (spec.workers ?? 1) : 0);
  const exited = new Promise<never>((_ok, fail) => child.once('exit', (code, signal) => fail(new Error(`${spec.name} exited (${code ?? signal}) before it was ready`))));
  exited.catch(() => undefined);
  const ready = readyLines(child.stdout!, wanted, spec.name, lines);
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((ok) => child.once('exit', () => ok()));
    process.kill(-child.pid!, 'SIGTERM');
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
      }
    }, 10_000);
    await gone;
    clearTimeout(timer);
  };
  try {
    const deadline = Date.now() + timeoutS * 1000;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_ok, fail) => (timer = setTimeout(() => fail(new Error(`${spec.name}: not ready after ${timeoutS} s`)), timeoutS * 1000)));
    await Promise.race([ready, exited, late]);
    clearTimeout(timer);
    const url = lines[0]!.url as string;
    await Promise.race([healthy(url, deadline), exited]);
    return { spec, url, pid: child.pid!, lines, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The BLAS fields (bench/torch_blas.py) of every process of a peer (each FastAPI worker loads its own OpenBLAS). */
export function blasOfAll(server: RunningServer): Json[] {
  return server.lines.filter((l) => 'blas' in l).map((l) => Object.fromEntries(Object.entries(l).filter(([k]) => k.startsWith('blas'))));
}

const TICKS = 100; // USER_HZ: /proc/<pid>/stat counts CPU time in 1/100 s on Linux

/** Process `root` and its live descendants (pids), from /proc, with each one's CPU ticks (user + system). */
function processTree(root: number): Map<number, number> {
  const stats = new Map<number, { ppid: number; ticks: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let text: string;
    try {
      text = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ESRCH') continue;
      throw err;
    }
    // Fields after the command (which may hold spaces), counted from field 3 (state): ppid is 4, utime 14, stime 15.
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    stats.set(Number(entry), { ppid: Number(rest[1]), ticks: Number(rest[11]) + Number(rest[12]) });
  }
  const tree = new Map<number, number>();
  const queue = [root];
  while (queue.length) {
    const pid = queue.pop()!;
    tree.set(pid, stats.get(pid)?.ticks ?? 0);
    for (const [child, s] of stats) if (s.ppid === pid) queue.push(child);
  }
  return tree;
}

/** CPU seconds (user + system) used so far by process `root` and every live descendant. */
export function treeCpuSeconds(root: number): number {
  let ticks = 0;
  for (const t of processTree(root).values()) ticks += t;
  return ticks / TICKS;
}

/** A /proc/<pid>/status field in kB (VmHWM, VmRSS) summed over process `root` and its live descendants, in MB. */
function treeStatusMb(root: number, field: 'VmHWM' | 'VmRSS'): number {
  const pattern = new RegExp(`${field}:\\s+(\\d+) kB`);
  let kb = 0;
  for (const pid of processTree(root).keys()) {
    try {
      const m = pattern.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      kb += m ? Number(m[1]) : 0;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' && (err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    }
  }
  return kb / 1024;
}

/** The peak RSS (VmHWM) of process `root` and its live descendants, summed, in MB (uvicorn's and widedeep's
 *  workers are processes of their own: the server's footprint is all of them). */
export const treePeakRssMb = (root: number): number => treeStatusMb(root, 'VmHWM');

/** The RSS now (VmRSS) of process `root` and its live descendants, summed, in MB (the fixed-rate run samples it). */
export const treeRssMb = (root: number): number => treeStatusMb(root, 'VmRSS');
