import type { FittedSpec } from '../features/fitted-spec.js';
import type { ModelConfig } from '../model/config.js';
import type { WideDeepModel } from '../model/wide-deep.js';
import { type BundleContents, saveBundle } from './bundle.js';
import type { Manifest } from './manifest.js';

/**
 * What `saveModel` reads from a fit: the shape of fitRun's FitOutcome (src/train/pipeline.ts), spelt out here
 * because artifact/ sits below train/ in the layers.
 */
export interface FittedRun {
  readonly config: { readonly raw: unknown; readonly model: ModelConfig; readonly seed: number };
  readonly model: WideDeepModel;
  readonly spec: FittedSpec;
  readonly test: unknown;
  readonly validation: unknown;
  readonly result: { readonly history: unknown; readonly best: unknown; readonly stoppedEarly: boolean };
  readonly refit: unknown;
  readonly data: { readonly fingerprint: Record<string, unknown> };
}

export interface SaveModelOptions {
  /** Also save the optimizers' accumulators (to train on from the bundle). Default: the weights only. */
  readonly optimizerState?: boolean;
}

/** The bundle of a fitted run, as `widedeep fit` writes it: config, spec, weights, metrics, data fingerprint. */
export function modelBundleOf(run: FittedRun, options: SaveModelOptions = {}): BundleContents {
  const r = run.result;
  return {
    config: run.config.raw,
    model: run.config.model,
    seed: run.config.seed,
    spec: run.spec,
    state: run.model.exportState(options.optimizerState === true ? 'full' : 'weights'),
    metrics: { test: run.test, validation: run.validation, history: r.history, best: r.best, stoppedEarly: r.stoppedEarly, refit: run.refit },
    data: run.data.fingerprint,
  };
}

/**
 * Saves the outcome of `fitRun` as a model bundle in `dir` (atomically, see saveBundle), the same bundle
 * `widedeep fit` writes to `<out>/model`; `loadBundle(dir)` loads it, `widedeep serve --model dir` serves it.
 */
export function saveModel(run: FittedRun, dir: string, options: SaveModelOptions = {}): Promise<Manifest> {
  return saveBundle(dir, modelBundleOf(run, options));
}
