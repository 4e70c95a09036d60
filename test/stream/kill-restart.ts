import { join } from 'node:path';
import { expect } from 'vitest';
import { writeConfig } from '../helpers/small-config.js';
import { checkpointOf, currentVersion, differingTensors, spawnTrainStream, streamConfig } from './fixture.js';

/** What a run of kills and restarts did. */
export interface KillRun {
  readonly kills: number;
  readonly killsBeforeFirstCheckpoint: number;
  readonly runs: number;
}

/**
 * Runs `train-stream ...args` (with --out `outDir`) and kills it with SIGKILL at `kills` moments, restarting
 * after each, then lets the last run finish on its own (--idle-exit-seconds). The first kill comes a random
 * 0.3..2 s after the first start or as its first checkpoint appears, whichever is first (during start-up or its
 * first batches: `killsBeforeFirstCheckpoint` says whether it was before); the others a random 0..80 ms after a new checkpoint
 * version appears (a few mini-batches at most), so they land mid-batch, mid-save and between saves. A run that
 * consumed everything before its kill came ends the kills early: `kills` says how many happened. `random` is a
 * seeded generator so that a failure can be replayed.
 */
export async function killAndRestart(args: readonly string[], outDir: string, kills: number, random: () => number): Promise<KillRun> {
  let done = 0;
  let before = 0;
  let runs = 0;
  const checkpoint = join(outDir, 'checkpoint');
  for (;;) {
    runs++;
    const run = spawnTrainStream(args);
    const seen = currentVersion(checkpoint);
    let exited = false;
    void run.exited.then(() => (exited = true));
    if (done < kills) {
      if (done === 0) {
        // At the drawn moment, or as the first checkpoint appears: a run that starts fast may otherwise have
        // consumed the whole log before its first kill, and its restart would have nothing left to be killed in.
        const at = Date.now() + 300 + random() * 1700;
        while (!exited && Date.now() < at && currentVersion(checkpoint) === seen) await sleep(10);
      } else {
        while (!exited && currentVersion(checkpoint) === seen) await sleep(20);
        await sleep(random() * 80);
      }
      if (!exited) {
        if (currentVersion(checkpoint) === null) before++;
        run.child.kill('SIGKILL');
        await run.exited;
        done++;
        continue;
      }
    }
    const code = await run.exited;
    if (code !== 0) throw new Error(`train-stream exited with ${code}:\n${run.output()}`);
    return { kills: done, killsBeforeFirstCheckpoint: before, runs };
  }
}

/**
 * The exactly-once test of a broker: `train-stream` over `source` (holding `events` synthetic events, ids 1..K)
 * once uninterrupted, and once killed with SIGKILL 3 times and restarted until the log is consumed (`extra`:
 * the broker's own flags). Both checkpoints count K events with id sum K(K+1)/2 at `positions`, and hold the
 * same model bit for bit after the same number of steps.
 */
export async function expectKilledRunEqualsWhole(o: { source: string; extra: readonly string[]; seed: number; events: number; positions: Record<string, number> }): Promise<void> {
  const K = o.events;
  const [dir, config] = writeConfig(streamConfig());
  const args = (out: string): string[] => ['--config', config, '--source', o.source, '--out', out, ...o.extra, '--linger-ms', '5000', '--checkpoint-every-events', '128', '--publish-every-events', '512'];
  const whole = join(dir, 'whole');
  const one = spawnTrainStream(args(whole));
  expect(await one.exited, one.output()).toBe(0);
  const killed = join(dir, 'killed');
  const run = await killAndRestart(args(killed), killed, 3, seeded(o.seed));
  // At least two kills (the last may not come when the restart consumes the rest first).
  expect(run.kills).toBeGreaterThanOrEqual(2);
  const a = await checkpointOf(whole);
  const b = await checkpointOf(killed);
  for (const ck of [a, b]) {
    expect(ck.ledger.events).toBe(K);
    expect(ck.ledger.idSum).toBe((K * (K + 1)) / 2);
    expect(ck.positions).toEqual(o.positions);
  }
  expect(b.steps).toBe(a.steps);
  expect(differingTensors(a.tensors, b.tensors)).toEqual([]);
}

function sleep(ms: number): Promise<void> {
  return new Promise((ok) => setTimeout(ok, ms));
}

/** A seeded generator in [0, 1) (mulberry32). */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
