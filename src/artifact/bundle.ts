import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import { WideDeepError } from '../core/errors.js';
import { type FittedSpec, parseFittedSpec } from '../features/fitted-spec.js';
import { type ModelConfig, parseModelConfig } from '../model/config.js';
import { modelSizesOf } from '../model/from-spec.js';
import type { ModelSizes } from '../model/sizes.js';
import { type ModelState, WideDeepModel } from '../model/wide-deep.js';
import type { Executor } from '../runtime/executor.js';

/** Version of the bundle layout (manifest.json + weights.bin). Bump on any incompatible change. */
export const BUNDLE_FORMAT_VERSION = 1;
export const LIBRARY_VERSION = '0.1.0';

const tensorEntry = z.strictObject({
  name: z.string(),
  offset: z.number().int().nonnegative(),
  length: z.number().int().nonnegative(),
});

const manifestSchema = z.strictObject({
  format: z.literal('widedeep-bundle'),
  formatVersion: z.number().int(),
  library: z.strictObject({ name: z.literal('widedeep'), version: z.string() }),
  createdAt: z.string(),
  /** The whole run config as given (features, model, train, data), for the record. */
  config: z.unknown(),
  model: z.unknown(),
  spec: z.unknown(),
  sizes: z.unknown(),
  seed: z.number().int(),
  state: z.enum(['full', 'weights']),
  steps: z.number().int().nonnegative(),
  dropoutRng: z.tuple([z.number(), z.number(), z.number(), z.number()]),
  tensors: z.array(tensorEntry),
  weights: z.strictObject({ file: z.literal('weights.bin'), bytes: z.number().int(), sha256: z.string() }),
  metrics: z.record(z.string(), z.unknown()).default({}),
  data: z.record(z.string(), z.unknown()).default({}),
  /** Trainer state of a checkpoint (epochs done, history, best), absent in final bundles. */
  trainer: z.unknown().optional(),
});

export type Manifest = z.output<typeof manifestSchema>;

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
 * Writes a bundle directory atomically: everything goes to a temporary sibling directory first, which then
 * replaces `dir` in one rename. A run that fails before that point leaves the previous bundle untouched.
 */
export async function saveBundle(dir: string, b: BundleContents): Promise<Manifest> {
  const tensors: z.output<typeof tensorEntry>[] = [];
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
  const manifest: Manifest = {
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
  const parent = dirname(dir);
  await mkdir(parent, { recursive: true });
  const tmp = join(parent, `.${basename(dir)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  await mkdir(tmp);
  try {
    await writeFile(join(tmp, 'weights.bin'), bin);
    await writeFile(join(tmp, 'manifest.json'), `${JSON.stringify(manifest, null, 1)}\n`);
    const old = join(parent, `.${basename(dir)}.old-${process.pid}-${randomBytes(4).toString('hex')}`);
    const hadOld = await stat(dir).then(() => true, () => false);
    if (hadOld) await rename(dir, old);
    await rename(tmp, dir);
    if (hadOld) await rm(old, { recursive: true, force: true });
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw new WideDeepError('IO', `could not write the model bundle: ${(err as Error).message}`, { file: dir }, { cause: err });
  }
  return manifest;
}

function bundleError(dir: string, msg: string, fix: string, field?: string): WideDeepError {
  return new WideDeepError('BUNDLE', msg, { file: dir, fix, ...(field !== undefined ? { field } : {}) });
}

export interface LoadedBundle {
  readonly manifest: Manifest;
  readonly spec: FittedSpec;
  readonly model: ModelConfig;
  readonly sizes: ModelSizes;
  readonly state: ModelState;
}

/** Reads and validates a bundle: manifest schema and version, weights size and checksum, tensor layout. */
export async function readBundle(dir: string): Promise<LoadedBundle> {
  let text: string;
  try {
    text = await readFile(join(dir, 'manifest.json'), 'utf8');
  } catch {
    throw bundleError(dir, 'no manifest.json: this is not a widedeep model bundle', 'pass the directory written by `widedeep fit --out`');
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw bundleError(dir, `manifest.json is not valid JSON (${(err as Error).message}); the bundle is truncated or corrupt`, 'retrain or restore the bundle', 'manifest.json');
  }
  const version = (raw as { formatVersion?: unknown } | null)?.formatVersion;
  if (typeof version === 'number' && version > BUNDLE_FORMAT_VERSION) {
    throw bundleError(dir, `bundle format ${version} is newer than this widedeep reads (${BUNDLE_FORMAT_VERSION})`, 'upgrade widedeep', 'formatVersion');
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw bundleError(dir, `manifest.json is invalid: ${i?.message}`, 'the bundle is damaged or from another tool; retrain it', `manifest.${(i?.path ?? []).join('.')}`);
  }
  const m = parsed.data;
  let bin: Buffer;
  try {
    bin = await readFile(join(dir, m.weights.file));
  } catch {
    throw bundleError(dir, `${m.weights.file} is missing`, 'copy the whole bundle directory', m.weights.file);
  }
  if (bin.byteLength !== m.weights.bytes) {
    throw bundleError(dir, `${m.weights.file} has ${bin.byteLength} bytes, the manifest says ${m.weights.bytes}: the file is truncated`, 'copy the bundle again or retrain', m.weights.file);
  }
  if (createHash('sha256').update(bin).digest('hex') !== m.weights.sha256) {
    throw bundleError(dir, `${m.weights.file} does not match its sha256 in the manifest: the file is corrupt`, 'copy the bundle again or retrain', m.weights.file);
  }
  const spec = parseFittedSpec(m.spec, { file: join(dir, 'manifest.json') });
  const model = parseModelConfig(m.model, 'manifest.model');
  const tensors = new Map<string, Float32Array>();
  for (const t of m.tensors) {
    if (t.offset + t.length * 4 > bin.byteLength) throw bundleError(dir, `tensor ${t.name} runs past the end of ${m.weights.file}`, 'retrain the bundle', t.name);
    tensors.set(t.name, new Float32Array(bin.buffer.slice(bin.byteOffset + t.offset, bin.byteOffset + t.offset + t.length * 4)));
  }
  return {
    manifest: m,
    spec,
    model,
    sizes: modelSizesOf(spec),
    state: { kind: m.state, tensors, steps: m.steps, dropoutRng: m.dropoutRng },
  };
}

/** Loads a bundle into a ready model (same config, sizes and weights as when it was saved). */
export async function loadBundle(dir: string, options: { executor?: Executor; threads?: number } = {}): Promise<{ model: WideDeepModel; bundle: LoadedBundle }> {
  const bundle = await readBundle(dir);
  const model = await WideDeepModel.create(bundle.sizes, bundle.model, { seed: bundle.manifest.seed, ...options });
  try {
    model.importState(bundle.state);
  } catch (err) {
    await model.release();
    if (err instanceof WideDeepError) throw bundleError(dir, `the weights do not fit the model the manifest describes: ${err.message}`, 'the bundle is mismatched; retrain it');
    throw err;
  }
  return { model, bundle };
}
