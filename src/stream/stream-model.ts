import { WideDeepError } from '../core/errors.js';
import { readBundle } from '../artifact/bundle.js';
import { fitResolved } from '../features/fit.js';
import type { FittedSpec } from '../features/fitted-spec.js';
import { AVERAGE_PREFIX } from '../model/average.js';
import { modelSizesOf } from '../model/from-spec.js';
import { WideDeepModel } from '../model/wide-deep.js';
import type { RunConfig } from '../train/run-config.js';
import { loadRunData } from '../train/run-data.js';
import { warmStart } from '../train/warm-start.js';
import type { StreamCheckpoint } from './stream-checkpoint.js';

/** Where the model of a continuous run starts from. */
export interface StreamModelOptions {
  /** The run's checkpoint: wins over everything else (a restart continues it). */
  readonly checkpoint: StreamCheckpoint | null;
  /** A bundle to take the feature spec and weights from (`--warm-start`), on a first start. */
  readonly warmStartDir?: string;
  readonly threads?: number;
  readonly log: (line: string) => void;
}

/**
 * The feature spec and the model a continuous run trains, chosen once and never changed mid-stream (ids of a
 * spec index the model's tables; a new value reaches its hashed bucket, or the out-of-vocabulary id 0 of a
 * vocabulary column):
 * 1. a checkpoint of the run: its spec, and its full state (weights, optimizer state, step count);
 * 2. else `--warm-start <bundle>`: the bundle's spec and weights (with its optimizer state when it was saved
 *    with --save-optimizer-state, so training continues as if never stopped);
 * 3. else the spec fitted on the training part of the config's `data` section, and fresh weights.
 */
export async function streamModel(config: RunConfig, o: StreamModelOptions): Promise<{ model: WideDeepModel; spec: FittedSpec }> {
  if (config.train.ema) {
    throw new WideDeepError('CONFIG', 'train-stream does not average weights (train.ema): a stream has no epoch end to swap the averages in at', { field: 'train.ema', fix: 'remove train.ema from the config' });
  }
  let spec: FittedSpec;
  let start: (model: WideDeepModel) => void = () => undefined;
  if (o.checkpoint !== null) {
    const ck = o.checkpoint;
    spec = ck.spec;
    start = (model) => model.importState(ck.state);
    o.log(`restarting from ${ck.dir}: ${ck.progress.ledger.events} events trained, positions ${JSON.stringify(ck.progress.positions)}`);
  } else if (o.warmStartDir !== undefined) {
    const previous = await readBundle(o.warmStartDir);
    spec = previous.spec;
    start = (model) => {
      if (previous.state.kind === 'full' && previous.state.tensors.size > 0 && !hasAverages(previous.state.tensors)) model.importState(previous.state);
      else warmStart(model, spec, previous);
    };
    o.log(`feature spec and weights from ${o.warmStartDir} (${previous.state.kind === 'full' ? 'with' : 'without'} optimizer state)`);
  } else {
    const data = await loadRunData(config.data, config.seed, config.features);
    spec = await fitResolved(config.features, [data.train]);
    o.log(`feature spec fitted on the ${data.train.numRows} training rows of the config's data section`);
  }
  const threads = o.threads ?? config.train.threads;
  const model = await WideDeepModel.create(modelSizesOf(spec), config.model, {
    seed: config.seed,
    ...(threads !== undefined ? { threads } : {}),
    ...(config.train.sparseWorkers !== undefined ? { sparseWorkers: config.train.sparseWorkers } : {}),
  });
  try {
    start(model);
  } catch (err) {
    await model.release();
    throw err;
  }
  return { model, spec };
}

function hasAverages(tensors: ReadonlyMap<string, Float32Array>): boolean {
  for (const name of tensors.keys()) if (name.startsWith(AVERAGE_PREFIX)) return true;
  return false;
}
