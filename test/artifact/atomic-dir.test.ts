import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StepHook, currentDir, sweep, writeVersion } from '../../src/artifact/atomic-dir.js';
import { type BundleContents, loadBundle, readBundle, saveBundle } from '../../src/artifact/bundle.js';
import type { ModelState } from '../../src/model/wide-deep.js';
import { fitRun } from '../../src/train/pipeline.js';
import { parseRunConfig } from '../../src/train/run-config.js';
import { saveKilledAt, stopAt, versionFiles } from '../helpers/kill-save.js';
import { smallConfig } from '../helpers/small-config.js';

// In memory where there is a tmpfs: every save flushes 7 times, 20-30 ms each on this project's test disks.
const scratch = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
const roots: string[] = [];
const fresh = (): string => {
  const root = mkdtempSync(join(scratch, 'wd-atomic-'));
  roots.push(root);
  return join(root, 'model');
};
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

/** The steps a save reports. */
async function stepsOf(save: (onStep: StepHook) => Promise<unknown>): Promise<string[]> {
  const steps: string[] = [];
  await save((name) => void steps.push(name));
  return steps;
}

/** The files of the directory's current version, by name. */
async function filesOf(dir: string): Promise<Record<string, Buffer>> {
  const files = await currentDir(dir);
  return Object.fromEntries(readdirSync(files).map((f) => [f, readFileSync(join(files, f))]));
}

const asBuffers = (tag: string): Record<string, Buffer> => Object.fromEntries(versionFiles(tag).map((f) => [f.name, Buffer.from(f.data)]));

/** Leftovers of the rename-based save from before versions, beside `dir`. */
function oldLayoutLeftovers(dir: string): void {
  mkdirSync(`${dir}/../.model.tmp-123-abcd0123`);
  writeFileSync(`${dir}/../.model.tmp-123-abcd0123/weights.bin`, 'x');
  mkdirSync(`${dir}/../.model.old-123-abcd0123`);
}

describe('atomic directory versions', () => {
  it('a save writes and flushes every file and directory entry before the one rename that commits it', async () => {
    const dir = fresh();
    expect(await stepsOf((onStep) => writeVersion(dir, versionFiles('a'), { onStep }))).toEqual([
      'mkdir', 'fsync parent', 'mkdir v-1', 'write v-1/weights.bin', 'fsync v-1/weights.bin', 'write v-1/manifest.json',
      'fsync v-1/manifest.json', 'fsync v-1', 'fsync dir', 'write pointer', 'fsync pointer', 'rename pointer', 'fsync dir after rename',
    ]);
    expect(await stepsOf((onStep) => writeVersion(dir, versionFiles('b'), { onStep }))).toEqual([
      'mkdir v-2', 'write v-2/weights.bin', 'fsync v-2/weights.bin', 'write v-2/manifest.json', 'fsync v-2/manifest.json',
      'fsync v-2', 'fsync dir', 'write pointer', 'fsync pointer', 'rename pointer', 'fsync dir after rename', 'rm v-1',
    ]);
    expect(readFileSync(join(dir, 'current'), 'utf8')).toBe('v-2\n');
    expect(readdirSync(dir).sort()).toEqual(['current', 'v-2']);
  });

  // Every step is covered by the stopped saves below (nothing of a stopped save runs afterwards, no `finally`
  // either); real kills just before and just after the commit show the same in a process that dies.
  it('a save SIGKILLed around its commit leaves the old or the new version whole; the next save sweeps the rest', async () => {
    const probe = fresh();
    await writeVersion(probe, versionFiles('old'));
    oldLayoutLeftovers(probe);
    const steps = await stepsOf((onStep) => writeVersion(probe, versionFiles('new'), { onStep }));
    const commit = steps.indexOf('rename pointer');
    expect(steps.filter((s) => s.startsWith('rm ../'))).toHaveLength(2);
    const killAt = async (k: number): Promise<void> => {
      const dir = fresh();
      await writeVersion(dir, versionFiles('old'));
      oldLayoutLeftovers(dir);
      expect(await saveKilledAt(dir, 'new', k)).toBe('SIGKILL');
      // Killed before the rename (step `commit`): the old version; at or after it: the new one, byte for byte.
      expect(await filesOf(dir), `killed before step ${k} (${steps[k]})`).toEqual(asBuffers(k <= commit ? 'old' : 'new'));
      await writeVersion(dir, versionFiles('next'));
      expect(await filesOf(dir)).toEqual(asBuffers('next'));
      expect(readdirSync(dir)).toHaveLength(2); // current and its version
      expect(readdirSync(join(dir, '..'))).toEqual(['model']);
    };
    const ks = ['rename pointer', 'fsync dir after rename'].map((name) => steps.indexOf(name));
    expect(ks).not.toContain(-1);
    await Promise.all(ks.map(killAt));
  });

  it('the sweep of a directory whose first save was killed removes the half-written version and reports it empty', async () => {
    const dir = fresh();
    const { onStep, stopped } = stopAt('fsync v-1/weights.bin');
    void writeVersion(dir, versionFiles('a'), { onStep });
    expect(await stopped).toBe('fsync v-1/weights.bin');
    writeFileSync(join(dir, '.current-1-ab.tmp'), 'v-9\n');
    expect(readdirSync(dir).sort()).toEqual(['.current-1-ab.tmp', 'v-1']);
    expect(await sweep(dir)).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
    await expect(readBundle(dir)).rejects.toThrow(/no manifest\.json/);
  });

  it('a save that fails before its commit removes its version; one that fails after it says the new one is current', async () => {
    const dir = fresh();
    await writeVersion(dir, versionFiles('a'));
    const failAt = (at: string): { onStep: StepHook } => ({
      onStep: (name) => {
        if (name === at) throw new Error('disk full');
      },
    });
    await expect(writeVersion(dir, versionFiles('b'), failAt('fsync v-2/manifest.json'))).rejects.toThrow('disk full');
    expect(readdirSync(dir).sort()).toEqual(['current', 'v-1']);
    expect(await filesOf(dir)).toEqual(asBuffers('a'));
    await expect(writeVersion(dir, versionFiles('c'), failAt('rm v-1'))).rejects.toThrow(/v-2 is saved and current, but .* could not be removed: disk full.*fix: remove the v-\* directories/);
    expect(await filesOf(dir)).toEqual(asBuffers('c'));
    await writeVersion(dir, versionFiles('d'));
    expect(readdirSync(dir).sort()).toEqual(['current', 'v-3']);
  });

  it('a pointer that names no version, or is damaged, is reported with what to do', async () => {
    const dir = fresh();
    await writeVersion(dir, versionFiles('a'));
    const copy = join(dir, '..', 'copy');
    cpSync(dir, copy, { recursive: true });
    expect(await filesOf(copy)).toEqual(asBuffers('a'));
    writeFileSync(join(dir, 'current'), 'v-7\n');
    await expect(readBundle(dir)).rejects.toThrow(/current names v-7, which is missing.*fix: copy the whole directory/);
    writeFileSync(join(dir, 'current'), 'garbage');
    await expect(readBundle(dir)).rejects.toThrow(/current should name a version directory.*"garbage"/);
    await writeVersion(dir, versionFiles('b')); // a save repairs it
    expect(await filesOf(dir)).toEqual(asBuffers('b'));
  });
});

describe('model bundles saved over a bundle', () => {
  let contents: (scale: number) => BundleContents;
  beforeAll(async () => {
    const config = parseRunConfig(smallConfig({ rows: 1500, epochs: 1 }));
    const outcome = await fitRun(config);
    const state = outcome.model.exportState('weights');
    await outcome.model.release();
    const scaled = (s: number): ModelState => ({ ...state, tensors: new Map([...state.tensors].map(([k, t]) => [k, t.map((x) => x * s + s)])) });
    contents = (s) => ({ config: config.raw, model: config.model, spec: outcome.spec, seed: config.seed, state: scaled(s) });
  });

  const sameTensors = (a: ModelState, b: ModelState): boolean =>
    a.tensors.size === b.tensors.size && [...a.tensors].every(([k, t]) => Buffer.from(t.buffer, t.byteOffset, t.byteLength).equals(Buffer.from((b.tensors.get(k) as Float32Array).buffer)));

  /** Writes what each layout looks like before the save: a bundle with versions, one from before versions, none. */
  const before: Record<string, (dir: string) => Promise<void>> = {
    'versions (and leftovers of the earlier rename-based save beside it)': async (dir) => {
      await saveBundle(dir, contents(1));
      oldLayoutLeftovers(dir);
    },
    'plain directory (written before versions)': async (dir) => {
      const scratch = fresh();
      await saveBundle(scratch, contents(1));
      cpSync(await currentDir(scratch), dir, { recursive: true });
      expect(readdirSync(dir).sort()).toEqual(['manifest.json', 'weights.bin']);
    },
    none: async () => undefined,
  };

  for (const [layout, setUp] of Object.entries(before)) {
    it(`stopped before any step of a save over ${layout}, the path loads the old bundle or the new one, bit for bit`, async () => {
      const probe = fresh();
      await setUp(probe);
      const steps = await stepsOf((onStep) => saveBundle(probe, contents(2), { onStep }));
      const commit = steps.indexOf('rename pointer');
      for (let k = 0; k < steps.length; k++) {
        const dir = fresh();
        await setUp(dir);
        const { onStep, stopped } = stopAt(k);
        void saveBundle(dir, contents(2), { onStep });
        expect(await stopped).toBe(steps[k]);
        if (k <= commit && layout === 'none') await expect(readBundle(dir)).rejects.toThrow(/no manifest\.json/);
        else {
          const { model, bundle } = await loadBundle(dir);
          await model.release();
          expect(sameTensors(bundle.state, contents(k <= commit ? 1 : 2).state), `stopped before ${steps[k]}`).toBe(true);
        }
        await saveBundle(dir, contents(3));
        expect(sameTensors((await readBundle(dir)).state, contents(3).state)).toBe(true);
        expect(readdirSync(dir)).toHaveLength(2);
        expect(readdirSync(join(dir, '..'))).toEqual(['model']);
      }
    });
  }
});
