import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ratiosInTurn, runPaired } from '../../bench/paired-run.js';
import { ROOT } from '../helpers/build-cli.js';

/**
 * A stand-in for a bench side started with --paired: `{"gate":r}` before each of its `repeats` repeats of `work` ms,
 * then a wait for a line on stdin; at the end a JSON line with the monotonic time each repeat started. `spin`:
 * after each repeat a thread keeps a core busy for that many ms (as OpenBLAS's threads do before they sleep).
 */
const SIDE = `
const { readSync } = require('node:fs');
const { Worker } = require('node:worker_threads');
const [repeats, spin, work] = process.argv.slice(1).map(Number);
const byte = Buffer.alloc(1);
const starts = [];
for (let r = 0; r < repeats; r++) {
  process.stdout.write(JSON.stringify({ gate: r }) + '\\n');
  for (;;) {
    let n;
    try { n = readSync(0, byte, 0, 1, null); } catch (e) { if (e.code === 'EAGAIN') continue; throw e; }
    if (n === 0) process.exit(3);
    if (byte[0] === 10) break;
  }
  starts.push(Number(process.hrtime.bigint() / 1000n));
  const t = Date.now();
  while (Date.now() - t < work);
  if (spin > 0) new Worker('const t = Date.now(); while (Date.now() - t < ' + spin + ');', { eval: true }).unref();
}
process.stdout.write(JSON.stringify({ samples_per_s_all: starts.map((_, i) => i + 1), starts }) + '\\n');
`;
const side = (repeats: number, spin = 0, work = 30): string[] => [process.execPath, '-e', SIDE, String(repeats), String(spin), String(work)];
const options = { cwd: ROOT, env: process.env };

describe('bench/paired-run.ts: two bench sides timed repeat by repeat, in turn', () => {
  it('lets one side run a repeat at a time, the first side swapping every pair (A B, B A, ...)', async () => {
    const r = await runPaired(side(4), side(4), options);
    expect(r.pairs).toBe(4);
    const starts = (j: Record<string, unknown>, who: string) => (j.starts as number[]).map((t, i) => ({ who: `${who}${i}`, t }));
    const order = [...starts(r.a, 'a'), ...starts(r.b, 'b')].sort((x, y) => x.t - y.t).map((s) => s.who);
    expect(order).toEqual(['a0', 'b0', 'b1', 'a1', 'a2', 'b2', 'b3', 'a3']);
    // Each repeat began after the previous one's 30 ms: never two at once.
    const times = [...(r.a.starts as number[]), ...(r.b.starts as number[])].sort((x, y) => x - y);
    for (let i = 1; i < times.length; i++) expect((times[i] as number) - (times[i - 1] as number)).toBeGreaterThanOrEqual(29_000);
  }, 30_000);

  it('waits for a side that keeps a core busy after its repeat before timing the other, and counts what each used while waiting', async () => {
    const r = await runPaired(side(3, 300, 30), side(3, 0, 200), options);
    // Without the wait, a's 300 ms spins would fall on b's 200 ms repeats (~600 ms counted).
    expect(r.idleCpuMs[0]).toBeLessThan(60);
    expect(r.idleCpuMs[1]).toBeLessThan(60);
  }, 30_000);

  it('refuses sides with different numbers of repeats, naming the short one', async () => {
    await expect(runPaired(side(3), side(2), options)).rejects.toThrow(/timed 2 repeats, the other side more: give both the same --repeats/);
  }, 30_000);

  it('bench/engine-case.ts --paired speaks it: a gate before each timed repeat, then its JSON line', async () => {
    const engine = [process.execPath, '--import', 'tsx', join(ROOT, 'bench/engine-case.ts'), '--case', 'small', '--pool', '4', '--steps', '2', '--warmup', '1', '--repeats', '3', '--paired'];
    const r = await runPaired(engine, engine, options);
    expect(r.pairs).toBe(3);
    for (const j of [r.a, r.b]) {
      expect(j.case).toBe('small');
      expect(j.samples_per_s_all).toHaveLength(3);
    }
  }, 60_000);

  it('reports a side whose last line is not JSON, and one that exits non-zero after it', async () => {
    const garbled = [process.execPath, '-e', 'console.log("all done, no JSON")'];
    await expect(runPaired(side(0), garbled, options)).rejects.toThrow(/printed no JSON line:\nall done, no JSON/);
    const failing = [process.execPath, '-e', 'console.log(JSON.stringify({ samples_per_s_all: [] })); console.error("crashed at exit"); process.exitCode = 4'];
    await expect(runPaired(side(0), failing, options)).rejects.toThrow(/exited with 4:\ncrashed at exit/);
  }, 30_000);

  it('ratiosInTurn: ours over the reference repeat by repeat; sides of different lengths are refused', () => {
    expect(ratiosInTurn({ samples_per_s_all: [200, 300, 90] }, { samples_per_s_all: [100, 100, 45] })).toEqual([2, 3, 2]);
    expect(() => ratiosInTurn({ samples_per_s_all: [1, 2] }, { samples_per_s_all: [1] })).toThrow(/same length on both/);
    expect(() => ratiosInTurn({ samples_per_s: 1 }, { samples_per_s_all: [1] })).toThrow(/same length on both/);
  });

  it('reports a side that dies before its first gate, with its stderr, and stops the other', async () => {
    const dead = [process.execPath, '-e', 'console.error("no torch here"); process.exit(1)'];
    await expect(runPaired(side(3), dead, options)).rejects.toThrow(/exited \(1\)[\s\S]*no torch here/);
  }, 30_000);
});
