import { WideDeepError } from '../core/errors.js';
import type { FittedSpec } from '../features/fitted-spec.js';
import type { ModelConfig } from '../model/config.js';
import type { ModelSizes } from '../model/sizes.js';
import { type ModelState, WideDeepModel } from '../model/wide-deep.js';
import type { Executor } from '../runtime/executor.js';
import type { CheckedBundle } from './bundle-verify.js';
import { bundleError, type Manifest } from './manifest-schema.js';

/** A bundle read and checked (readBundle, or the browser entry's fetch): the model it describes and its weights. */
export interface LoadedBundle {
  readonly manifest: Manifest;
  readonly spec: FittedSpec;
  readonly model: ModelConfig;
  readonly sizes: ModelSizes;
  readonly state: ModelState;
}

/** A checked bundle's parts as readers hand them on: what its manifest and checked tensors describe. */
export function loadedBundleOf(m: Manifest, checked: CheckedBundle): LoadedBundle {
  const { spec, model, sizes, tensors } = checked;
  return { manifest: m, spec, model, sizes, state: { kind: m.state, tensors, steps: m.steps, dropoutRng: m.dropoutRng } };
}

/**
 * Builds the model a checked bundle describes and loads its weights: the one way from a bundle to a model, for
 * loadBundle (Node, from a directory) and the browser entry (src/web, over fetch). Uses no Node API. `dir`
 * names the bundle in errors. The model scores, it does not train, so it gets no sparse workers (they split
 * a training step's gathers and row updates; a scoring call's gathers are too short to share out).
 */
export async function modelOfBundle(dir: string, bundle: LoadedBundle, options: { executor?: Executor; threads?: number } = {}): Promise<WideDeepModel> {
  const model = await WideDeepModel.create(bundle.sizes, bundle.model, { seed: bundle.manifest.seed, sparseWorkers: 0, ...options });
  try {
    model.importState(bundle.state);
  } catch (err) {
    await model.release();
    if (err instanceof WideDeepError) throw bundleError(dir, `the weights do not fit the model the manifest describes: ${err.message}`, 'the bundle is mismatched; retrain it');
    throw err;
  }
  return model;
}
