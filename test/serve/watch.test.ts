import { cpSync, mkdirSync, mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { currentDir } from '../../src/artifact/atomic-dir.js';
import { openSlot, type ModelSlot } from '../../src/serve/model-slot.js';
import { type BundleWatcher, watchBundle } from '../../src/serve/watch.js';
import { FIXTURE } from '../helpers/bundle-fixture.js';
import { writeVersionOf } from './bundle-versions.js';

/** Resolves once `cond()` holds (checked every 10 ms); fails after `ms`. */
async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Commits a version whose manifest is cut short, by hand as a save would: a v-<n> directory, then the pointer renamed over. */
function writeBrokenVersion(dir: string, n: number): void {
  mkdirSync(join(dir, `v-${n}`));
  writeFileSync(join(dir, `v-${n}`, 'manifest.json'), '{"format": "widedeep-bun');
  writeFileSync(join(dir, `v-${n}`, 'weights.bin'), Buffer.alloc(8));
  writeFileSync(join(dir, '.current-1-aa.tmp'), `v-${n}\n`);
  renameSync(join(dir, '.current-1-aa.tmp'), join(dir, 'current'));
}

describe('serve --watch: following a bundle directory', () => {
  let slot: ModelSlot | undefined;
  let watcher: BundleWatcher | undefined;
  afterEach(async () => {
    watcher?.close();
    await slot?.close();
  });

  for (const mode of ['fs.watch', 'poll only'] as const) {
    it(`swaps to a new version, keeps the old one when a version is broken, then swaps again (${mode})`, async () => {
      const dir = join(mkdtempSync(join(tmpdir(), 'wd-watch-')), 'model');
      const d1 = await writeVersionOf(dir, 0);
      slot = await openSlot(dir);
      const s = slot;
      const lines: string[] = [];
      watcher = watchBundle(dir, () => s.reload(), { log: (l) => lines.push(l), debounceMs: 20, pollMs: mode === 'poll only' ? 50 : 60_000, fsWatch: mode === 'fs.watch' });
      expect(slot.current().digest).toBe(d1);

      const d2 = await writeVersionOf(dir, 1);
      await until(() => s.current().digest === d2);
      expect(s.current().source).toBe(await currentDir(dir));

      writeBrokenVersion(dir, 7);
      await until(() => lines.length > 0);
      // Long enough for several more polls and events: the broken version is logged once, not retried.
      await new Promise((r) => setTimeout(r, 300));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/did not load, the model serving stays: .*manifest\.json/);
      expect(s.current().digest).toBe(d2);

      const d3 = await writeVersionOf(dir, 2);
      await until(() => s.current().digest === d3);
      expect(lines).toHaveLength(1);
    });
  }

  it('follows a plain bundle (no pointer) through its manifest.json', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'wd-watch-')), 'model');
    cpSync(join(FIXTURE, 'model'), dir, { recursive: true });
    slot = await openSlot(dir);
    const s = slot;
    const d1 = s.current().digest;
    const lines: string[] = [];
    watcher = watchBundle(dir, () => s.reload(), { log: (l) => lines.push(l), debounceMs: 20, pollMs: 50 });
    // Another bundle's two files written over this one's (a copy, as deployments of old did).
    const other = join(mkdtempSync(join(tmpdir(), 'wd-watch-')), 'model');
    await writeVersionOf(other, 3);
    const from = await currentDir(other);
    cpSync(join(from, 'weights.bin'), join(dir, 'weights.bin'));
    cpSync(join(from, 'manifest.json'), join(dir, 'manifest.json'));
    await until(() => s.current().digest !== d1);
    expect(s.current().source).toBe(dir);
    expect(lines).toEqual([]);
  });
});
