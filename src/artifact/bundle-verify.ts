import { WideDeepError } from '../core/errors.js';
import { type FittedSpec, parseFittedSpec } from '../features/fitted-spec.js';
import { type ModelConfig, parseModelConfig } from '../model/config.js';
import { DEEP_PARTS } from '../model/deep-parts.js';
import { modelSizesOf } from '../model/from-spec.js';
import type { ModelSizes } from '../model/sizes.js';
import { stateLayoutOf } from '../model/state-layout.js';
import { type Manifest, type ParsedManifest, bundleError } from './manifest-schema.js';

/**
 * Longest sequence a bundle's GRU may read. The GRU is unrolled over the sequence, so building it costs time
 * and memory in its length: 5.6 s for 100 steps, over 5 minutes for 1,000 (2-core machine). A longer one is
 * an edited spec, not a trained model, and is refused before anything is built.
 */
export const MAX_GRU_STEPS = 1024;

const RETRAIN = 'the manifest was edited or damaged; restore the bundle from a copy or retrain it';

/** What a checked bundle holds: the model it describes and its tensors (copies, every value finite). */
export interface CheckedBundle {
  readonly spec: FittedSpec;
  readonly model: ModelConfig;
  readonly sizes: ModelSizes;
  readonly tensors: Map<string, Float32Array>;
}

/** weights.bin's size against the manifest (before the file is read: `bytes` is its size on disk). */
export function checkWeightsSize(dir: string, m: Manifest, bytes: number): void {
  const { file } = m.weights;
  if (bytes > m.weights.bytes) {
    throw bundleError(dir, `${file} has ${bytes} bytes, longer than the manifest says (${m.weights.bytes}): it belongs to another bundle or was appended to`, 'copy the bundle again or retrain', file);
  }
  if (bytes < m.weights.bytes) {
    throw bundleError(dir, `${file} has ${bytes} bytes, the manifest says ${m.weights.bytes}: the file is truncated`, 'copy the bundle again or retrain', file);
  }
}

/** The hashes a reader computed over weights.bin and the bundle, and how to name manifest.json in errors. */
export interface BundleHashes {
  /** Lowercase hex sha256 of weights.bin. */
  readonly sha256: string;
  /** The bundle digest (`sha256:<hex>`, see bundleDigest) of a format-2 bundle; null for format 1. */
  readonly digest: string | null;
  /** manifest.json's path or URL, for the errors of its spec. */
  readonly manifestFile: string;
}

/**
 * Every check of a bundle, in one place for every reader (readBundle, so loadBundle, `inspect`, resume, and the
 * browser entry src/web): weights.bin's size and sha256, the digest over manifest and weights (format 2), the
 * spec and model config, then the tensor table against the model the spec and config describe, worked out
 * before anything is allocated (stateLayoutOf): every name known and listed once, every length what the model
 * needs, offsets 4-byte aligned, inside weights.bin, not overlapping and covering it exactly; last, every value
 * finite. The hashes come in computed (node:crypto in bundle-check.ts, Web Crypto in the browser), so this file
 * uses no Node API. `loadable`: also refuse what loadBundle cannot load (a checkpoint's weight averages).
 */
export function verifyBundle(dir: string, parsed: ParsedManifest, bin: Uint8Array, hashes: BundleHashes, options: { loadable?: boolean } = {}): CheckedBundle {
  const m = parsed.manifest;
  checkWeightsSize(dir, m, bin.byteLength);
  if (hashes.sha256 !== m.weights.sha256) {
    throw bundleError(dir, `${m.weights.file} does not match its sha256 in the manifest: the file is corrupt`, 'copy the bundle again or retrain', m.weights.file);
  }
  if (m.formatVersion === 2 && hashes.digest !== m.digest) {
    throw bundleError(dir, 'manifest.json does not match the bundle digest: it was edited or damaged after it was written', RETRAIN, 'manifest.digest');
  }
  const { spec, model, sizes } = describedModel(dir, m, hashes.manifestFile);
  const layout = expectedLayout(dir, m, sizes, model);
  checkTensorTable(dir, m, layout, bin.byteLength, options.loadable === true);
  return { spec, model, sizes, tensors: tensorsOf(dir, m, bin) };
}

/** A WideDeepError of another code (a CONFIG error of the model config, ...) as a BUNDLE error. */
function asBundleError(dir: string, err: unknown): unknown {
  if (!(err instanceof WideDeepError) || err.code === 'BUNDLE') return err;
  return bundleError(dir, `the manifest describes a model widedeep cannot build: ${err.message}`, RETRAIN, err.details.field, err);
}

function describedModel(dir: string, m: Manifest, manifestFile: string): { spec: FittedSpec; model: ModelConfig; sizes: ModelSizes } {
  try {
    const spec = parseFittedSpec(m.spec, { file: manifestFile });
    const model = parseModelConfig(m.model, 'manifest.model');
    return { spec, model, sizes: modelSizesOf(spec) };
  } catch (err) {
    throw asBundleError(dir, err);
  }
}

type Layout = ReturnType<typeof stateLayoutOf>;

function expectedLayout(dir: string, m: Manifest, sizes: ModelSizes, model: ModelConfig): Layout {
  const read = model.kind === 'wide' ? [] : DEEP_PARTS[model.deep.type].sequencesOf(model.deep as never);
  for (const s of sizes.sequences) {
    if (read.includes(s.key) && s.length > MAX_GRU_STEPS) {
      throw bundleError(dir, `the GRU reads sequence ${s.key} of ${s.length} steps, more than the ${MAX_GRU_STEPS} a bundle may have`, RETRAIN, 'manifest.spec');
    }
  }
  try {
    return stateLayoutOf(sizes, model, m.state);
  } catch (err) {
    throw asBundleError(dir, err);
  }
}

const total = (x: ReadonlyMap<string, number>): number => [...x.values()].reduce((a, b) => a + b, 0);

function checkTensorTable(dir: string, m: Manifest, layout: Layout, bytes: number, loadable: boolean): void {
  const { tensors: need, averages } = layout;
  const file = m.weights.file;
  const floats = total(need);
  const withAverages = floats + total(averages);
  if (bytes !== 4 * floats && (averages.size === 0 || bytes !== 4 * withAverages)) {
    const or = averages.size > 0 ? ` (${withAverages} with weight averages)` : '';
    throw bundleError(dir, `the model the manifest describes (its spec and model config, ${m.state} state) has ${floats} floats${or}, ${file} holds ${bytes} bytes`, RETRAIN, 'manifest.spec');
  }
  const seen = new Set<string>();
  let listed = 0;
  m.tensors.forEach((t, i) => {
    const field = `manifest.tensors[${i}]`;
    const want = need.get(t.name) ?? averages.get(t.name);
    if (want === undefined) throw bundleError(dir, `tensor ${t.name} is not part of the model the manifest describes (${m.state} state)`, RETRAIN, field);
    if (loadable && averages.has(t.name)) {
      throw bundleError(dir, `tensor ${t.name} is a weight average of a checkpoint (train.ema): a model is loaded from a final bundle`, 'pass the run\'s model directory, not a checkpoint', field);
    }
    if (seen.has(t.name)) throw bundleError(dir, `tensor ${t.name} is listed twice`, RETRAIN, field);
    seen.add(t.name);
    if (t.length !== want) throw bundleError(dir, `tensor ${t.name} has ${t.length} floats, the model the spec describes needs ${want}`, RETRAIN, field);
    if (t.offset % 4 !== 0) throw bundleError(dir, `tensor ${t.name} starts at byte ${t.offset} of ${file}, which is not a multiple of 4`, RETRAIN, field);
    if (t.offset + 4 * t.length > bytes) throw bundleError(dir, `tensor ${t.name} (bytes ${t.offset} to ${t.offset + 4 * t.length}) runs past the end of ${file} (${bytes} bytes)`, RETRAIN, field);
    listed += t.length;
  });
  for (const name of need.keys()) if (!seen.has(name)) throw bundleError(dir, `the manifest lists no tensor ${name}, which the model needs`, RETRAIN, 'manifest.tensors');
  const averaged = [...averages.keys()];
  const missing = averaged.find((name) => !seen.has(name));
  if (missing !== undefined && averaged.some((name) => seen.has(name))) {
    throw bundleError(dir, `the manifest lists some weight averages but not ${missing}`, RETRAIN, 'manifest.tensors');
  }
  const spans = m.tensors.map((t) => ({ name: t.name, start: t.offset, end: t.offset + 4 * t.length })).sort((a, b) => a.start - b.start);
  for (let i = 1; i < spans.length; i++) {
    const [a, b] = [spans[i - 1], spans[i]] as [(typeof spans)[number], (typeof spans)[number]];
    if (b.start < a.end) throw bundleError(dir, `tensors ${a.name} (bytes ${a.start} to ${a.end}) and ${b.name} (from byte ${b.start}) overlap in ${file}`, RETRAIN, 'manifest.tensors');
  }
  if (4 * listed !== bytes) throw bundleError(dir, `the tensors cover ${4 * listed} of the ${bytes} bytes of ${file}`, RETRAIN, 'manifest.tensors');
}

/** Copies every tensor out of weights.bin; a NaN or infinite value is refused, naming the tensor and index. */
function tensorsOf(dir: string, m: Manifest, bin: Uint8Array): Map<string, Float32Array> {
  const tensors = new Map<string, Float32Array>();
  for (const t of m.tensors) {
    const data = new Float32Array(bin.buffer.slice(bin.byteOffset + t.offset, bin.byteOffset + t.offset + 4 * t.length));
    for (let i = 0; i < data.length; i++) {
      const v = data[i] as number;
      if (v - v !== 0) {
        throw bundleError(dir, `tensor ${t.name} holds ${v} at index ${i}: a model's weights are finite`, 'the run diverged (lower the learning rate) or the bundle was damaged; retrain it', t.name);
      }
    }
    tensors.set(t.name, data);
  }
  return tensors;
}
