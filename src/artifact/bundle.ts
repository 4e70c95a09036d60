import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { WideDeepError } from '../core/errors.js';
import { VERSION } from '../core/version.js';
import type { FittedSpec } from '../features/fitted-spec.js';
import type { ModelConfig } from '../model/config.js';
import { modelSizesOf } from '../model/from-spec.js';
import type { ModelState, WideDeepModel } from '../model/wide-deep.js';
import type { Executor } from '../runtime/executor.js';
import { type StepHook, currentDir, writeVersion } from './atomic-dir.js';
import { checkBundle, checkWeightsSize } from './bundle-check.js';
import { type LoadedBundle, loadedBundleOf, modelOfBundle } from './bundle-model.js';
import { BUNDLE_FORMAT_VERSION, type Manifest, bundleDigest, bundleError, parseManifest, type TensorEntry } from './manifest.js';

export { BUNDLE_FORMAT_VERSION, type Manifest } from './manifest.js';
export type { LoadedBundle } from './bundle-model.js';

/** The package version (package.json), recorded in every bundle and results line. */
export const LIBRARY_VERSION = VERSION;

export interface BundleContents {
  readonly config: unknown;
  readonly model: ModelConfig;
  readonly spec: FittedSpec;
  readonly seed: number;
  readonly state: ModelState;
  readonly metrics?: Record<string, unknown>;
  /** Fingerprint of the training data (file names, sizes, sha256, row counts). */
  readonly data?: Record<string, unknown>;
  readonly trainer?: unknown;
}

/**
 * Writes a bundle atomically as a new version of `dir` (src/artifact/atomic-dir.ts): `dir/current` names the
 * complete previous bundle until one rename switches it to the new one, fully written and fsynced. A save
 * killed at any point leaves one of the two; `onStep` is the test hook that stops a save between operations.
 */
export async function saveBundle(dir: string, b: BundleContents, options: { onStep?: StepHook } = {}): Promise<Manifest> {
  const tensors: TensorEntry[] = [];
  let offset = 0;
  for (const [name, data] of b.state.tensors) {
    tensors.push({ name, offset, length: data.length });
    offset += data.byteLength;
  }
  const bin = new Uint8Array(offset);
  for (const t of tensors) {
    const data = b.state.tensors.get(t.name) as Float32Array;
    bin.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), t.offset);
  }
  const body: Omit<Extract<Manifest, { formatVersion: 2 }>, 'digest'> = {
    format: 'widedeep-bundle',
    formatVersion: BUNDLE_FORMAT_VERSION,
    library: { name: 'widedeep', version: LIBRARY_VERSION },
    createdAt: new Date().toISOString(),
    config: b.config,
    model: b.model,
    spec: b.spec,
    sizes: modelSizesOf(b.spec),
    seed: b.seed,
    state: b.state.kind,
    steps: b.state.steps,
    dropoutRng: b.state.dropoutRng,
    tensors,
    weights: { file: 'weights.bin', bytes: bin.byteLength, sha256: createHash('sha256').update(bin).digest('hex') },
    metrics: b.metrics ?? {},
    data: b.data ?? {},
    ...(b.trainer !== undefined ? { trainer: b.trainer } : {}),
  };
  // The digest covers the manifest as a reader parses it back (JSON leaves out undefined, writes NaN as null).
  const manifest: Manifest = { ...body, digest: bundleDigest(JSON.parse(JSON.stringify(body)) as Record<string, unknown>, bin) };
  try {
    const files = [{ name: 'weights.bin', data: bin }, { name: 'manifest.json', data: `${JSON.stringify(manifest, null, 1)}\n` }];
    await writeVersion(dir, files, options);
  } catch (err) {
    if (err instanceof WideDeepError) throw err; // says what was saved and what to do
    throw new WideDeepError('IO', `could not write the model bundle: ${(err as Error).message}`, { file: dir }, { cause: err });
  }
  return manifest;
}

/**
 * Reads a bundle and checks all of it (src/artifact/bundle-check.ts): manifest schema and version, weights
 * size, sha256 and digest, spec and model config, the tensor table against the model they describe, finite
 * values. `loadable`: also refuse what loadBundle cannot load (checkpoint weight averages), as `inspect` does.
 */
export async function readBundle(path: string, options: { loadable?: boolean } = {}): Promise<LoadedBundle> {
  // A bundle directory's current version (its `current` pointer), or a bundle written before versions.
  const dir = await currentDir(path);
  let text: string;
  try {
    text = await readFile(join(dir, 'manifest.json'), 'utf8');
  } catch {
    throw bundleError(dir, 'no manifest.json: this is not a widedeep model bundle', 'pass the directory written by `widedeep fit --out`');
  }
  const parsed = parseManifest(dir, text);
  const m = parsed.manifest;
  const file = join(dir, m.weights.file);
  let bin: Buffer;
  try {
    // The size first: a weights.bin longer than the manifest says is refused without reading it.
    checkWeightsSize(dir, m, (await stat(file)).size);
    bin = await readFile(file);
  } catch (err) {
    if (err instanceof WideDeepError) throw err;
    throw bundleError(dir, `${m.weights.file} is missing or unreadable (${(err as Error).message})`, 'copy the whole bundle directory', m.weights.file, err);
  }
  return loadedBundleOf(m, checkBundle(dir, parsed, bin, options));
}

/** Loads a bundle into a ready model (same config, sizes and weights as when it was saved). */
export async function loadBundle(dir: string, options: { executor?: Executor; threads?: number } = {}): Promise<{ model: WideDeepModel; bundle: LoadedBundle }> {
  const bundle = await readBundle(dir, { loadable: true });
  return { model: await modelOfBundle(dir, bundle, options), bundle };
}
