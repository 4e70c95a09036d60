import { mkdtempSync, readFileSync, existsSync, writeFileSync, truncateSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { currentDir } from '../../src/artifact/atomic-dir.js';
import { loadBundle, readBundle, saveBundle } from '../../src/artifact/bundle.js';
import { evalSetOf, fitRun } from '../../src/train/pipeline.js';
import { parseRunConfig } from '../../src/train/run-config.js';
import { smallConfig } from '../helpers/small-config.js';

async function trained() {
  const config = parseRunConfig(smallConfig());
  const outcome = await fitRun(config);
  const dir = join(mkdtempSync(join(tmpdir(), 'wd-bundle-')), 'model');
  await saveBundle(dir, { config: config.raw, model: config.model, spec: outcome.spec, seed: config.seed, state: outcome.model.exportState('weights') });
  return { config, outcome, dir };
}

describe('model bundles', () => {
  it('predict from a loaded bundle equals the trainer\'s own predictions bit for bit', async () => {
    const { outcome, dir } = await trained();
    const set = evalSetOf(outcome.spec, outcome.data.test, null);
    const { model } = await loadBundle(dir);
    for (const b of set.batches) {
      const mine = await outcome.model.predict(b);
      const theirs = await model.predict(b);
      expect(Buffer.from(theirs.prediction.buffer).equals(Buffer.from(mine.prediction.buffer))).toBe(true);
    }
    await model.release();
    await outcome.model.release();
  });

  it('rejects a truncated, corrupt or mismatched bundle with a message naming the file and the fix', async () => {
    const { outcome, dir } = await trained();
    await outcome.model.release();
    const files = await currentDir(dir); // dir/v-1, which dir/current names
    const bin = join(files, 'weights.bin');
    const original = readFileSync(bin);
    truncateSync(bin, original.length - 8);
    await expect(readBundle(dir)).rejects.toThrow(/weights\.bin.*truncated.*fix/);
    const flipped = Buffer.from(original);
    flipped[10] = (flipped[10] as number) ^ 0xff;
    writeFileSync(bin, flipped);
    await expect(readBundle(dir)).rejects.toThrow(/sha256/);
    writeFileSync(bin, original);
    const manifest = readFileSync(join(files, 'manifest.json'), 'utf8');
    writeFileSync(join(files, 'manifest.json'), manifest.slice(0, manifest.length / 2));
    await expect(readBundle(dir)).rejects.toThrow(/manifest\.json is not valid JSON/);
    const m = JSON.parse(manifest) as { tensors: { name: string }[]; formatVersion: number };
    m.tensors[0]!.name = 'emb.nope';
    writeFileSync(join(files, 'manifest.json'), JSON.stringify(m));
    // Any edit of the manifest breaks its digest (the tensor checks behind it: bundle-check.test.ts).
    await expect(loadBundle(dir)).rejects.toThrow(/manifest\.json does not match the bundle digest/);
    m.formatVersion = 99;
    writeFileSync(join(files, 'manifest.json'), JSON.stringify(m));
    await expect(readBundle(dir)).rejects.toThrow(/newer/);
    await expect(readBundle(join(dir, 'missing'))).rejects.toThrow(/not a widedeep model bundle/);
  });

  it('a failed save leaves the previous bundle intact and no temp files', async () => {
    const { outcome, dir, config } = await trained();
    const files = await currentDir(dir);
    const before = readFileSync(join(files, 'weights.bin'));
    const state = outcome.model.exportState('weights');
    const bad = { ...state, tensors: new Map([...state.tensors, ['bad', { buffer: null } as unknown as Float32Array]]) };
    await expect(saveBundle(dir, { config: config.raw, model: config.model, spec: outcome.spec, seed: 1, state: bad })).rejects.toThrow();
    expect(await currentDir(dir)).toBe(files);
    expect(readFileSync(join(files, 'weights.bin')).equals(before)).toBe(true);
    expect(readdirSync(join(dir, '..')).filter((f) => f.includes('.tmp-'))).toEqual([]);
    expect(readdirSync(dir).sort()).toEqual(['current', 'v-1']);
    expect(existsSync(join(files, 'manifest.json'))).toBe(true);
    await outcome.model.release();
  });
});
