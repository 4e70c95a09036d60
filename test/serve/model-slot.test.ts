import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { currentDir } from '../../src/artifact/atomic-dir.js';
import { loadBundle } from '../../src/artifact/bundle.js';
import { Coalesced } from '../../src/serve/coalesced.js';
import { fixedSlot, openSlot, type ServedModel } from '../../src/serve/model-slot.js';
import { predictRows } from '../../src/serve/predict-rows.js';
import { FIXTURE } from '../helpers/bundle-fixture.js';
import { fixtureRows, writeVersionOf } from './bundle-versions.js';

const rows = fixtureRows();

function bundleDir(): string {
  return join(mkdtempSync(join(tmpdir(), 'wd-slot-')), 'model');
}

async function scores(served: ServedModel): Promise<(number | number[])[]> {
  return (await predictRows(served.model, served.spec, rows)).predictions;
}

describe('model slot: atomic hot reload', () => {
  it('a swap while a lease is out leaves the leased model working until the lease comes back', async () => {
    const dir = bundleDir();
    const d1 = await writeVersionOf(dir, 0);
    const slot = await openSlot(dir);
    const swaps: [string, string][] = [];
    slot.onSwap((s, p) => swaps.push([s.digest, p.digest]));
    expect(slot.current().digest).toBe(d1);
    expect(slot.current().source).toBe(await currentDir(dir));
    const lease = slot.acquire();
    const before = await scores(lease.served);

    const d2 = await writeVersionOf(dir, 1);
    const r = await slot.reload();
    expect(r.changed).toBe(true);
    expect(r.served.digest).toBe(d2);
    expect(slot.current().digest).toBe(d2);
    expect(swaps).toEqual([[d2, d1]]);
    // The held model still scores (released, its ONNX session would throw), and as before the swap.
    expect(await scores(lease.served)).toEqual(before);
    const after = await scores(slot.current());
    expect(after).not.toEqual(before);
    lease.release();
    lease.release(); // a second release of the same lease is a no-op
    // Now released: the old model's runner refuses to score.
    await expect(scores(lease.served)).rejects.toThrow();
    // The new one is untouched by the old one's release.
    expect(await scores(slot.current())).toEqual(after);
    await slot.close();
  });

  it('the same digest does not swap; a failing load keeps serving and throws the bundle error', async () => {
    const dir = bundleDir();
    const d1 = await writeVersionOf(dir, 0);
    const slot = await openSlot(dir);
    const first = slot.current();
    let swaps = 0;
    slot.onSwap(() => (swaps += 1));
    const same = await slot.reload();
    expect(same).toEqual({ changed: false, served: first });

    // A version whose manifest is cut short: the reload fails, the old model serves on.
    await writeVersionOf(dir, 2);
    writeFileSync(join(await currentDir(dir), 'manifest.json'), '{"format": "widedeep-bun');
    await expect(slot.reload()).rejects.toMatchObject({ name: 'WideDeepError', code: 'BUNDLE', message: expect.stringMatching(/manifest\.json/) });
    expect(slot.current()).toBe(first);
    const lease = slot.acquire();
    expect(lease.served).toBe(first);
    expect(await scores(lease.served)).toEqual(await scores(first));
    lease.release();
    expect(swaps).toBe(0);

    // Then a good version swaps.
    const d3 = await writeVersionOf(dir, 3);
    expect((await slot.reload()).served.digest).toBe(d3);
    expect(swaps).toBe(1);
    expect(d3).not.toBe(d1);
    await slot.close();
  });

  it('concurrent reloads share one load, and none misses a version written before it was called', async () => {
    const dir = bundleDir();
    await writeVersionOf(dir, 0);
    const slot = await openSlot(dir);
    let swaps = 0;
    slot.onSwap(() => (swaps += 1));
    const d2 = await writeVersionOf(dir, 1);
    const first = slot.reload();
    const rest = [slot.reload(), slot.reload(), slot.reload()];
    const all = await Promise.all([first, ...rest]);
    expect(all.map((r) => r.served.digest)).toEqual([d2, d2, d2, d2]);
    // One swap; the calls made during the first load share one more (unchanged) load: the same objects.
    expect(swaps).toBe(1);
    expect(new Set(all.map((r) => r.served)).size).toBe(1);
    expect(new Set(rest).size).toBe(1);
    await slot.close();
  });

  it('a reload asked during a load gets a load that starts after it: it sees what changed meanwhile', async () => {
    // The reload task as the slot runs it (src/serve/coalesced.ts), with a directory that changes while a load
    // is in flight: the load reads the version when it starts, then takes as long as the test lets it.
    let version = 1;
    let runs = 0;
    const open: (() => void)[] = [];
    const reloads = new Coalesced(async () => {
      const seen = version;
      runs += 1;
      await new Promise<void>((r) => open.push(r));
      return seen;
    });
    const first = reloads.run();
    version = 2; // a new version is written while the first load runs ...
    const later = [reloads.run(), reloads.run(), reloads.run()]; // ... and reload is asked (by three callers)
    expect(runs).toBe(1);
    open.shift()!();
    expect(await first).toBe(1);
    await new Promise((r) => setTimeout(r, 0));
    expect(runs).toBe(2); // one more load for the three
    open.shift()!();
    expect(await Promise.all(later)).toEqual([2, 2, 2]);
    const failing = new Coalesced(() => Promise.reject(new Error('broken bundle')));
    await expect(failing.run()).rejects.toThrow('broken bundle');
    await failing.idle();
  });

  it('serves what loadBundle loads, and a plain (pre-version) bundle has a digest over its manifest', async () => {
    const slot = await openSlot(join(FIXTURE, 'model'));
    const { model, bundle } = await loadBundle(join(FIXTURE, 'model'));
    expect(await scores(slot.current())).toEqual((await predictRows(model, bundle.spec, rows)).predictions);
    expect(slot.current().digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(slot.current().source).toBe(join(FIXTURE, 'model'));
    await model.release();
    await slot.close();
  });

  it('a fixed slot never reloads and leaves its model to the caller', async () => {
    const { model, bundle } = await loadBundle(join(FIXTURE, 'model'));
    const slot = fixedSlot(model, bundle.spec);
    expect(slot.current()).toMatchObject({ digest: '', source: 'memory' });
    await expect(slot.reload()).rejects.toMatchObject({ code: 'CONFIG', message: expect.stringMatching(/no bundle directory to reload from/) });
    await slot.close();
    expect(() => slot.acquire()).toThrow(/closed/);
    expect((await predictRows(model, bundle.spec, rows)).predictions).toHaveLength(rows.length);
    await model.release();
  });

  it('close waits for the leases out before releasing the model', async () => {
    const dir = bundleDir();
    await writeVersionOf(dir, 0);
    const slot = await openSlot(dir);
    const lease = slot.acquire();
    let closed = false;
    const closing = slot.close().then(() => (closed = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(closed).toBe(false);
    expect(await scores(lease.served)).toHaveLength(rows.length);
    lease.release();
    await closing;
    await expect(scores(lease.served)).rejects.toThrow();
  });
});
