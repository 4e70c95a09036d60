/**
 * `npm run bench -- --paired`: two benchmark processes timed repeat by repeat, in turn. Each side, started with
 * `--paired` (bench/engine-case.ts, bench/torch_engine.py), prints `{"gate":r}` before its timed repeat r and
 * waits for a line on stdin. `runPaired` sends that line to one side, waits for its next line (its next gate,
 * or its final JSON line once its repeats are done), then does the same for the other side. The first side
 * swaps every pair (A B, B A, A B, ...), so that a steady drift of the machine's speed falls on both alike, and
 * the side that waits sits in a blocking read. The two sides' repeat i are then seconds apart, where two whole
 * runs one after the other are tens of seconds apart.
 *
 * A side that has just finished a repeat may keep a core busy for a while (OpenBLAS's threads spin before they
 * sleep), which would fall on the other side's repeat: before each go, the side that ran last is given time to
 * fall quiet (`settle`), and the CPU that each side used while the other was timed is counted and returned
 * (`idleCpuMs`, read from /proc in 10 ms ticks: ~0 when the turns are clean).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

type Json = Record<string, unknown>;

const isGate = (line: string): boolean => line.startsWith('{"gate"');

/** A child process read line by line from its stdout; its stderr's tail is kept for errors. */
class LineChild {
  private readonly lines: string[] = [];
  private readonly waiting: { ok: (line: string) => void; fail: (err: Error) => void }[] = [];
  private partial = '';
  private stderr = '';
  private ended: Error | null = null;
  readonly exited: Promise<number | null>;
  private readonly child;

  constructor(
    readonly cmd: readonly string[],
    options: { cwd: string; env: NodeJS.ProcessEnv },
  ) {
    this.child = spawn(cmd[0] as string, cmd.slice(1), { cwd: options.cwd, env: options.env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      const parts = (this.partial + chunk).split('\n');
      this.partial = parts.pop() ?? '';
      for (const line of parts) if (line.trim() !== '') this.push(line.trim());
    });
    this.child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-2000);
    });
    this.exited = new Promise((ok) => {
      this.child.on('close', (code) => {
        this.end(new Error(`${cmd.join(' ')} exited (${code}) before printing the line awaited:\n${this.stderr}`));
        ok(code);
      });
      this.child.on('error', (err) => {
        this.end(new Error(`${cmd.join(' ')} could not run: ${err.message}`));
        ok(null);
      });
    });
  }

  private push(line: string): void {
    const w = this.waiting.shift();
    if (w) w.ok(line);
    else this.lines.push(line);
  }

  private end(err: Error): void {
    if (this.ended) return;
    this.ended = err;
    for (const w of this.waiting.splice(0)) w.fail(err);
  }

  /** The next line of its stdout. */
  next(): Promise<string> {
    const line = this.lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    if (this.ended) return Promise.reject(this.ended);
    return new Promise((ok, fail) => this.waiting.push({ ok, fail }));
  }

  /** Lets it run its next timed repeat. */
  go(): void {
    this.child.stdin.write('go\n');
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }

  /**
   * CPU time of the whole process so far, in ms: utime + stime of /proc/<pid>/stat, which count the threads that
   * have ended too (a sum over /proc/<pid>/task would lose them), in clock ticks of 10 ms (USER_HZ 100); 0 where
   * /proc cannot say.
   */
  cpuMs(): number {
    const pid = this.child.pid;
    if (pid === undefined) return 0;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // Fields after the command name in parentheses (which may hold spaces): state is field 3, utime 14, stime 15.
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return 10 * (Number(f[11]) + Number(f[12]));
    } catch {
      return 0;
    }
  }

  get stderrTail(): string {
    return this.stderr;
  }
}

/**
 * The ratios of `ours`' repeats to `ref`'s, repeat by repeat (their `samples_per_s_all`, timed in turn by
 * `runPaired`): a round's ratio is their median.
 */
export function ratiosInTurn(ours: Json, ref: Json): number[] {
  const a = ours.samples_per_s_all;
  const b = ref.samples_per_s_all;
  if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length || a.length === 0) {
    throw new Error(`sides timed in turn need samples_per_s_all of the same length on both, got ${JSON.stringify(a)} and ${JSON.stringify(b)}`);
  }
  return a.map((v: number, i) => v / (b[i] as number));
}

const sleep = (ms: number): Promise<void> => new Promise((ok) => setTimeout(ok, ms));

/** Waits (up to 2 s) until `side` used no CPU tick in the last 50 ms. */
async function settle(side: LineChild): Promise<void> {
  let last = side.cpuMs();
  for (let waited = 0; waited < 2000; waited += 50) {
    await sleep(50);
    const now = side.cpuMs();
    if (now - last < 1) return;
    last = now;
  }
}

/**
 * Runs `a` and `b` (each with `--paired`) repeat by repeat, `a` first in even pairs, and returns each side's
 * final JSON line, the number of pairs timed, and the CPU each side used while the other was timed
 * (`idleCpuMs`: [a's, b's]). Both must time the same number of repeats.
 */
export async function runPaired(a: readonly string[], b: readonly string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<{ a: Json; b: Json; pairs: number; idleCpuMs: [number, number] }> {
  const sides = [new LineChild(a, options), new LineChild(b, options)] as const;
  try {
    // Both build and warm up at once (neither is timed yet), then wait at their first gate.
    const lines = await Promise.all(sides.map((s) => s.next()));
    const idleCpuMs: [number, number] = [0, 0];
    let pairs = 0;
    while (lines.some(isGate)) {
      for (const i of pairs % 2 === 0 ? [0, 1] : [1, 0]) {
        const side = sides[i as 0 | 1];
        const other = sides[(1 - i) as 0 | 1];
        if (!isGate(lines[i] as string)) throw new Error(`${side.cmd.join(' ')} timed ${pairs} repeats, the other side more: give both the same --repeats`);
        await Promise.all([settle(side), settle(other)]);
        // The other side waits at a gate, or has printed its last line and is ending (nothing to count).
        const waiting = isGate(lines[1 - i] as string);
        const before = other.cpuMs();
        side.go();
        lines[i] = await side.next();
        if (waiting) idleCpuMs[1 - i] = (idleCpuMs[1 - i] as number) + other.cpuMs() - before;
      }
      pairs++;
    }
    const finals = lines.map((line, i) => {
      try {
        return JSON.parse(line) as Json;
      } catch {
        throw new Error(`${sides[i as 0 | 1].cmd.join(' ')} printed no JSON line:\n${line.slice(0, 500)}\n${sides[i as 0 | 1].stderrTail}`);
      }
    });
    const codes = await Promise.all(sides.map((s) => s.exited));
    codes.forEach((code, i) => {
      if (code !== 0) throw new Error(`${sides[i as 0 | 1].cmd.join(' ')} exited with ${code}:\n${sides[i as 0 | 1].stderrTail}`);
    });
    return { a: finals[0] as Json, b: finals[1] as Json, pairs, idleCpuMs };
  } catch (err) {
    for (const s of sides) s.kill();
    throw err;
  }
}
