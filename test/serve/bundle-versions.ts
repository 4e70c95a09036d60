import { join } from 'node:path';
import { readBundle, saveBundle, type LoadedBundle } from '../../src/artifact/bundle.js';
import type { ModelState } from '../../src/model/wide-deep.js';
import { expected, FIXTURE } from '../helpers/bundle-fixture.js';

/**
 * Versions of one tiny model for the serving tests (model slot, watch, reload under load): the v1 fixture
 * bundle (test/fixtures/bundle-v1, weights.bin 404 bytes) with its weights scaled, so each version has the
 * same features and a different digest and different predictions; written in milliseconds, no training.
 */
let base: LoadedBundle | undefined;

async function fixture(): Promise<LoadedBundle> {
  base ??= await readBundle(join(FIXTURE, 'model'));
  return base;
}

/** Writes version `k` (weights x (1 + k/4), k = 0 is the fixture's own) as a new version of `dir`; returns its digest. */
export async function writeVersionOf(dir: string, k: number): Promise<string> {
  const b = await fixture();
  const scale = 1 + k / 4;
  const tensors = new Map([...b.state.tensors].map(([name, t]) => [name, t.map((v) => v * scale)]));
  const state: ModelState = { ...b.state, tensors };
  const m = await saveBundle(dir, { config: b.manifest.config, model: b.model, spec: b.spec, seed: b.manifest.seed, state });
  return m.formatVersion === 2 ? m.digest : '';
}

/** Rows the fixture model reads (seven, one with an unseen value and a null). */
export function fixtureRows(): Record<string, unknown>[] {
  return expected().rows;
}

/** `n` rows for the fixture model, different for each `from` (countries, categories and ages cycle). */
export function rowsFor(n: number, from = 0): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, j) => {
    const i = from + j;
    return { country: `cty0${i % 3}`, app_category: `cat0${(i * 7 + (i >> 3)) % 3}`, age: 18 + ((i * 13) % 60) };
  });
}
