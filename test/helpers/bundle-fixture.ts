import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { currentDir } from '../../src/artifact/atomic-dir.js';
import { loadBundle, saveBundle } from '../../src/artifact/bundle.js';
import { bundleDigest } from '../../src/artifact/manifest.js';
import type { FittedSpec } from '../../src/features/fitted-spec.js';
import { rowsToChunk } from '../../src/features/rows.js';
import { transform } from '../../src/features/transform.js';
import { modelBatchOf } from '../../src/model/from-spec.js';
import type { WideDeepModel } from '../../src/model/wide-deep.js';

/**
 * test/fixtures/bundle-v1: bundles written by widedeep before format 2 (no digest), from a tiny wide & deep
 * model (5 columns, an MLP of 3 units; weights.bin 404 bytes): `model` (weights), `checkpoint` (full state),
 * and `expected.json`, rows and the predictions the writing code made for them.
 */
export const FIXTURE = resolve(import.meta.dirname, '../fixtures/bundle-v1');

export interface Expected {
  readonly rows: Record<string, unknown>[];
  readonly prediction: number[];
}

export function expected(): Expected {
  return JSON.parse(readFileSync(join(FIXTURE, 'expected.json'), 'utf8')) as Expected;
}

/** A bundle's predictions for plain JSON rows (as `predict` makes them). */
export async function predictionsOf(model: WideDeepModel, spec: FittedSpec, rows: readonly Record<string, unknown>[]): Promise<Float32Array> {
  const fb = transform(spec, rowsToChunk(rows, { source: 'fixture' }), { mode: 'serve' });
  return (await model.predict(modelBatchOf(fb))).prediction;
}

/** The files of a bundle, in memory. */
export interface BundleFiles {
  readonly manifest: Buffer;
  readonly weights: Buffer;
}

export function filesOf(dir: string): BundleFiles {
  return { manifest: readFileSync(join(dir, 'manifest.json')), weights: readFileSync(join(dir, 'weights.bin')) };
}

/** The v1 fixture model written again by today's saveBundle (format 2, with a digest). */
export async function currentFormatFiles(): Promise<BundleFiles> {
  const { model, bundle } = await loadBundle(join(FIXTURE, 'model'));
  try {
    const dir = join(mkdtempSync(join(tmpdir(), 'wd-v2-')), 'model');
    await saveBundle(dir, { config: bundle.manifest.config, model: bundle.model, spec: bundle.spec, seed: bundle.manifest.seed, state: model.exportState('weights'), metrics: bundle.manifest.metrics });
    return filesOf(await currentDir(dir));
  } finally {
    await model.release();
  }
}

/** Writes a bundle's two files into `dir` (a plain directory: read as it is). */
export function writeFiles(dir: string, f: BundleFiles): void {
  writeFileSync(join(dir, 'manifest.json'), f.manifest);
  writeFileSync(join(dir, 'weights.bin'), f.weights);
}

/**
 * The files with the manifest edited by `edit`; `resign`: then made consistent again as a tool that means
 * it would: weights.sha256 and the digest (when the manifest has one) recomputed over the new contents.
 */
export function editManifest(f: BundleFiles, edit: (m: Record<string, unknown>) => void, options: { resign?: boolean; weights?: Buffer } = {}): BundleFiles {
  const m = JSON.parse(f.manifest.toString('utf8')) as Record<string, unknown>;
  const weights = options.weights ?? f.weights;
  edit(m);
  if (options.resign) {
    const w = m.weights as Record<string, unknown> | undefined;
    if (w && typeof w === 'object') w.sha256 = createHash('sha256').update(weights).digest('hex');
    if ('digest' in m) m.digest = bundleDigest(m, weights);
  }
  return { manifest: Buffer.from(`${JSON.stringify(m, null, 1)}\n`), weights };
}
