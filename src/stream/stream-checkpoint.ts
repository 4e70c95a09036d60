import { join } from 'node:path';
import { WideDeepError } from '../core/errors.js';
import { sweep } from '../artifact/atomic-dir.js';
import { readBundle, saveBundle } from '../artifact/bundle.js';
import type { FittedSpec } from '../features/fitted-spec.js';
import type { ModelState, WideDeepModel } from '../model/wide-deep.js';
import { configDifferences } from '../train/resume-config.js';
import { type RunConfig, parseRunConfig } from '../train/run-config.js';
import type { Positions } from './event-source.js';
import type { Ledger } from './ledger.js';

/**
 * The checkpoint of continuous training: one bundle (`<out>/checkpoint`, saved as a new version and committed
 * by one pointer rename, src/artifact/atomic-dir.ts) holding the model with its optimizer state and, in the
 * same manifest, the source positions and the event ledger. The model, where to read next and what was
 * trained are therefore committed together or not at all: a `kill -9` at any moment leaves the previous
 * checkpoint whole, and a restart trains exactly the events after its positions.
 */
export interface StreamProgress {
  /** The `--source` URL the positions belong to. */
  readonly source: string;
  readonly positions: Positions;
  readonly ledger: Ledger;
}

/** What the manifest's `trainer` field holds for a stream checkpoint. */
interface StreamTrainerRecord {
  readonly stream: StreamProgress;
}

/** A checkpoint read back. */
export interface StreamCheckpoint {
  readonly spec: FittedSpec;
  readonly state: ModelState;
  readonly progress: StreamProgress;
  readonly dir: string;
}

export const CHECKPOINT_DIR = 'checkpoint';
export const MODEL_DIR = 'model';

/** What every bundle of a run records besides its state. */
export interface RunRecord {
  readonly config: RunConfig;
  readonly spec: FittedSpec;
}

/** Saves the model (full state), positions and ledger as the new checkpoint of `outDir`. */
export async function saveCheckpoint(outDir: string, run: RunRecord, model: WideDeepModel, progress: StreamProgress): Promise<void> {
  const c = run.config;
  const trainer: StreamTrainerRecord = { stream: progress };
  await saveBundle(join(outDir, CHECKPOINT_DIR), { config: c.raw, model: c.model, seed: c.seed, spec: run.spec, state: model.exportState('full'), trainer });
}

/**
 * Publishes the model's weights as a new version of `<outDir>/model` (what `serve --watch` follows), with what
 * it has learned from in its metrics: the events, the positions (every event before them is in this model),
 * the produce time of the newest event and the publish time.
 */
export async function publishModel(outDir: string, run: RunRecord, model: WideDeepModel, progress: StreamProgress, newestEventMs: number | null): Promise<string> {
  const c = run.config;
  const stream = { source: progress.source, positions: progress.positions, events: progress.ledger.events, skipped: progress.ledger.skipped, newestEventMs, publishedMs: Date.now() };
  await saveBundle(join(outDir, MODEL_DIR), { config: c.raw, model: c.model, seed: c.seed, spec: run.spec, state: model.exportState('weights'), metrics: { stream } });
  return join(outDir, MODEL_DIR);
}

/** The checkpoint in `outDir`, or null when there is none yet (what a killed first save left is swept). */
export async function readCheckpoint(outDir: string, config: RunConfig, sourceUrl: string): Promise<StreamCheckpoint | null> {
  const dir = join(outDir, CHECKPOINT_DIR);
  if (!(await sweep(dir))) return null;
  const ck = await readBundle(dir);
  const stream = (ck.manifest.trainer as Partial<StreamTrainerRecord> | undefined)?.stream;
  if (stream === undefined || ck.state.kind !== 'full') {
    throw new WideDeepError('BUNDLE', `${dir} is not a train-stream checkpoint (no source positions in its manifest)`, { file: dir, fix: 'give train-stream an --out of its own' });
  }
  if (stream.source !== sourceUrl) {
    throw new WideDeepError('CONFIG', `the checkpoint in ${dir} holds positions of ${stream.source}, not of ${sourceUrl}`, {
      file: dir,
      field: '--source',
      fix: `restart with --source ${stream.source}, or give another --out to train from ${sourceUrl}`,
    });
  }
  const differ = configDifferences({ ...parseRunConfig(ck.manifest.config), seed: ck.manifest.seed }, config);
  if (differ.length > 0) {
    throw new WideDeepError('CONFIG', `the config differs from the checkpointed run's at ${differ.slice(0, 5).join(', ')}`, {
      file: dir,
      field: differ[0] as string,
      fix: 'restart with the config the run started with, or give another --out to start over',
    });
  }
  return { spec: ck.spec, state: ck.state, progress: stream, dir };
}
