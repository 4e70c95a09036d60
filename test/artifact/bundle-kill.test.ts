import fs, { mkdtempSync, readdirSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type BundleContents, loadBundle, saveBundle } from '../../src/artifact/bundle.js';
import type { ModelState } from '../../src/model/wide-deep.js';
import { fitRun } from '../../src/train/pipeline.js';
import { parseRunConfig } from '../../src/train/run-config.js';
import { smallConfig } from '../helpers/small-config.js';

// Observed from outside, whatever the save does inside: it is stopped for good (as by a kill) right after
// its n-th rename, for every n, by replacing fs.promises.rename for the length of the save.
const realRename = fs.promises.rename;
const stoppedSaves: Promise<never>[] = [];

/** Runs `save` until just after its n-th rename; resolves true when it was stopped there, false when it finished. */
async function stopAfterRename(n: number, save: () => Promise<unknown>): Promise<boolean> {
  let renames = 0;
  let stopped: (v: boolean) => void = () => undefined;
  const done = new Promise<boolean>((ok) => (stopped = ok));
  fs.promises.rename = async (from, to) => {
    await realRename(from, to);
    if (++renames !== n) return;
    stopped(true);
    const never = new Promise<never>(() => undefined);
    stoppedSaves.push(never);
    return never;
  };
  syncBuiltinESMExports();
  try {
    void save().then(() => stopped(false));
    return await done;
  } finally {
    fs.promises.rename = realRename;
    syncBuiltinESMExports();
  }
}

describe('a model bundle replaced by a save that is killed', () => {
  it('after any of the save\'s renames, the path still loads a whole bundle, the old or the new one', async () => {
    const config = parseRunConfig(smallConfig({ rows: 1500, epochs: 1 }));
    const outcome = await fitRun(config);
    const state = outcome.model.exportState('weights');
    await outcome.model.release();
    const scaled = (s: number): ModelState => ({ ...state, tensors: new Map([...state.tensors].map(([k, t]) => [k, t.map((x) => x * s)])) });
    const contents = (s: number): BundleContents => ({ config: config.raw, model: config.model, spec: outcome.spec, seed: config.seed, state: scaled(s) });
    // Every tensor's bytes, in order: equal for bit-identical weights.
    const bytes = (st: ModelState): Buffer => Buffer.concat([...st.tensors.values()].map((t) => Buffer.from(t.buffer, t.byteOffset, t.byteLength)));
    const loaded = async (dir: string): Promise<Buffer> => {
      const { model, bundle } = await loadBundle(dir);
      await model.release();
      return bytes(bundle.state);
    };
    let n = 1;
    for (; ; n++) {
      const dir = join(mkdtempSync(join(tmpdir(), 'wd-bundle-kill-')), 'model');
      await saveBundle(dir, contents(1));
      if (!(await stopAfterRename(n, () => saveBundle(dir, contents(2))))) break;
      // Today's rename-based save fails here after its first rename: "no manifest.json".
      expect([bytes(contents(1).state), bytes(contents(2).state)]).toContainEqual(await loaded(dir));
      // The next save leaves nothing of the killed one beside the bundle.
      await saveBundle(dir, contents(3));
      expect(await loaded(dir)).toEqual(bytes(contents(3).state));
      expect(readdirSync(join(dir, '..'))).toEqual(['model']);
    }
    expect(n).toBeGreaterThan(1);
  });
});
