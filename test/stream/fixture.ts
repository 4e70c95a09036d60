import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { rowObject } from '../../src/data/chunk.js';
import { createSyntheticWorld, syntheticData } from '../../src/data/synthetic.js';
import { readBundle } from '../../src/artifact/bundle.js';
import { ROOT, cliArgs } from '../helpers/cli-process.js';
import { smallConfig } from '../helpers/small-config.js';

/** The stream tests' run config: the small synthetic config, 64-event mini-batches, one ONNX Runtime thread. */
export function streamConfig(): Record<string, unknown> {
  const c = smallConfig({ rows: 2000 });
  return { ...c, train: { ...(c.train as object), batchSize: 64, threads: 1 } };
}

/** `n` labeled events of the synthetic app store as JSON objects, with ids first..first+n-1 in field `id`. */
export function syntheticEvents(n: number, first = 1, seed = 11): Record<string, unknown>[] {
  const cfg = (smallConfig().data as { synthetic: Record<string, number> }).synthetic;
  const world = createSyntheticWorld({ ...cfg, seed });
  const rows = syntheticData(world, { rows: first - 1 + n });
  return Array.from({ length: n }, (_, i) => ({ id: first + i, ...rowObject(rows, first - 1 + i) }));
}

/** Starts `widedeep train-stream ...args` as a child process (stdout and stderr collected). */
export function spawnTrainStream(args: readonly string[]): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, cliArgs(['train-stream', ...args]), { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout?.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (text += d.toString()));
  const exited = new Promise<number | null>((ok) => child.once('exit', (code) => ok(code)));
  return { child, output: () => text, exited };
}

/** The committed version named by `<dir>/current` (null before the first save). */
export function currentVersion(dir: string): string | null {
  const p = join(dir, 'current');
  return existsSync(p) ? readFileSync(p, 'utf8').trim() : null;
}

/** The ledger and positions of a run's checkpoint, and its model state. */
export async function checkpointOf(outDir: string): Promise<{ ledger: { events: number; idSum: number; skipped: number; firstSkipped: { key: string; position: number; reason: string }[] }; positions: Record<string, number>; tensors: Map<string, Float32Array>; steps: number }> {
  const b = await readBundle(join(outDir, 'checkpoint'));
  const stream = (b.manifest.trainer as { stream: { ledger: never; positions: Record<string, number> } }).stream;
  return { ledger: stream.ledger, positions: stream.positions, tensors: b.state.tensors as Map<string, Float32Array>, steps: b.state.steps };
}

/** Names of tensors whose bits differ between two states (empty: identical). */
export function differingTensors(a: Map<string, Float32Array>, b: Map<string, Float32Array>): string[] {
  const names = [...new Set([...a.keys(), ...b.keys()])];
  return names.filter((n) => {
    const x = a.get(n);
    const y = b.get(n);
    if (x === undefined || y === undefined || x.length !== y.length) return true;
    return !Buffer.from(x.buffer, x.byteOffset, x.byteLength).equals(Buffer.from(y.buffer, y.byteOffset, y.byteLength));
  });
}
