import { join } from 'node:path';
import { currentVersion, spawnTrainStream } from './fixture.js';

/** What a run of kills and restarts did. */
export interface KillRun {
  readonly kills: number;
  readonly killsBeforeFirstCheckpoint: number;
  readonly runs: number;
}

/**
 * Runs `train-stream ...args` (with --out `outDir`) and kills it with SIGKILL at `kills` moments, restarting
 * after each, then lets the last run finish on its own (--idle-exit-seconds). The first kill comes a random
 * 0.3..2 s after the first start (during start-up or its first batches, usually before its first checkpoint:
 * `killsBeforeFirstCheckpoint` says whether it was); the others a random 0..80 ms after a new checkpoint
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
      if (done === 0) await sleep(300 + random() * 1700);
      else {
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
