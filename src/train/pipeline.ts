import { Rng } from '../core/rng.js';
import { type ReadOptions, getColumn, permutation, readAll, sliceRows } from '../data/index.js';
import { loadAdult } from '../data/datasets/adult.js';
import { loadCriteo } from '../data/datasets/criteo.js';
import { loadMovieLens100k } from '../data/datasets/movielens.js';
import { randomSplit } from '../data/splits.js';
import { syntheticData } from '../data/synthetic.js';
import type { RowChunk } from '../data/types.js';
import { fitResolved } from '../features/fit.js';
import type { FittedSpec } from '../features/fitted-spec.js';
import { transform } from '../features/transform.js';
import { modelBatchOf, modelSizesOf, takeModelBatch } from '../model/from-spec.js';
import type { ModelBatch } from '../model/sizes.js';
import { WideDeepModel, type ModelState } from '../model/wide-deep.js';
import type { Executor } from '../runtime/executor.js';
import type { DataConfig, RunConfig } from './run-config.js';
import { type EvalSet, type Metrics, type TrainEvents, type TrainResult, type TrainerState, type TrainSource, evaluateModel, train } from './trainer.js';

/** Train and test rows of a run, with what identifies the data (for bundles and result files). */
export interface RunData {
  readonly train: RowChunk;
  readonly test: RowChunk;
  readonly fingerprint: Record<string, unknown>;
  /** Column of user ids for per-user ranking metrics, when the data has users. */
  readonly userColumn: string | null;
}

/** Loads the dataset of a run config and splits it into train and test. */
export async function loadRunData(data: DataConfig, seed: number): Promise<RunData> {
  const dataDir = data.dataDir !== undefined ? { dataDir: data.dataDir } : {};
  switch (data.dataset) {
    case 'synthetic': {
      const all = syntheticData({ seed, ...data.synthetic }, { rows: data.rows });
      const { train, test } = randomSplit(all, { testFraction: data.testFraction, seed });
      return { train, test, fingerprint: { dataset: 'synthetic', seed, rows: data.rows, world: data.synthetic }, userColumn: 'user_id' };
    }
    case 'adult': {
      const a = await loadAdult({ ...dataDir, onBadRow: data.onBadRow });
      return { train: a.train, test: a.test, fingerprint: { dataset: 'adult', train: a.train.source, rows: [a.train.numRows, a.test.numRows] }, userColumn: null };
    }
    case 'movielens-100k': {
      const m = await loadMovieLens100k(dataDir);
      return { train: m.train, test: m.test, fingerprint: { dataset: 'movielens-100k', rows: [m.train.numRows, m.test.numRows] }, userColumn: 'user_id' };
    }
    case 'criteo': {
      const c = await loadCriteo({ ...dataDir, onBadRow: data.onBadRow });
      const { train, test } = randomSplit(c.data, { testFraction: data.testFraction, seed });
      return { train, test, fingerprint: { dataset: 'criteo', source: c.data.source, rows: c.data.numRows }, userColumn: null };
    }
    case 'files': {
      const read = async (f: NonNullable<DataConfig['train']>): Promise<RowChunk> => (await readAll({ ...f, onBadRow: data.onBadRow } as ReadOptions)).data;
      const trainAll = await read(data.train as NonNullable<DataConfig['train']>);
      if (data.test) return { train: trainAll, test: await read(data.test), fingerprint: { dataset: 'files', train: data.train?.path, test: data.test.path }, userColumn: null };
      const { train, test } = randomSplit(trainAll, { testFraction: data.testFraction, seed });
      return { train, test, fingerprint: { dataset: 'files', train: data.train?.path }, userColumn: null };
    }
  }
}

/** Transforms rows into model batches of `batchSize` (in order). */
export function batchesOf(spec: FittedSpec, rows: RowChunk, batchSize: number): ModelBatch[] {
  const out: ModelBatch[] = [];
  for (let s = 0; s < rows.numRows; s += batchSize) out.push(modelBatchOf(transform(spec, sliceRows(rows, s, Math.min(rows.numRows, s + batchSize)))));
  return out;
}

/** An evaluation set: transformed once, with user ids for ranking metrics when the data has users. */
export function evalSetOf(spec: FittedSpec, rows: RowChunk, userColumn: string | null, batchSize = 4096): EvalSet {
  const batches = batchesOf(spec, rows, batchSize);
  if (userColumn === null || !rows.columns.has(userColumn)) return { batches };
  const raw = getColumn(rows, userColumn) as ArrayLike<unknown>;
  const ids = new Map<string, number>();
  const users = new Int32Array(rows.numRows);
  for (let i = 0; i < rows.numRows; i++) {
    const key = String(raw[i]);
    let id = ids.get(key);
    if (id === undefined) ids.set(key, (id = ids.size));
    users[i] = id;
  }
  return { batches, users };
}

/**
 * In-memory rows as a TrainSource. The rows are transformed once (the transform is row by row and the spec
 * is fixed, so every epoch would compute the same ids); epoch e then takes the examples in a seeded
 * permutation that depends only on (seed, e), cut into batches. Rows left out under onBadRow: 'skip' are
 * dropped once, before the permutation.
 */
export function memorySource(spec: FittedSpec, rows: RowChunk, batchSize: number, seed: number): TrainSource {
  let all: ModelBatch | undefined;
  const encoded = (): ModelBatch => (all ??= modelBatchOf(transform(spec, rows)));
  return {
    get rows() {
      return all?.size ?? rows.numRows;
    },
    async *batches(epoch: number) {
      const batch = encoded();
      const order = permutation(batch.size, new Rng(seed).fork(`epoch-${epoch}`));
      for (let s = 0; s < batch.size; s += batchSize) yield takeModelBatch(batch, order.subarray(s, Math.min(batch.size, s + batchSize)));
    },
  };
}

export interface FitOutcome {
  readonly model: WideDeepModel;
  readonly spec: FittedSpec;
  readonly result: TrainResult;
  /** Metrics of the final (or restored best) model on the validation and test splits. */
  readonly validation: Metrics | null;
  readonly test: Metrics;
  readonly data: RunData;
  readonly seconds: number;
}

export interface FitOptions {
  readonly events?: TrainEvents;
  readonly executor?: Executor;
  /** Continue from a checkpoint written by events.onCheckpoint (same config, same seed). */
  readonly resume?: { readonly spec: FittedSpec; readonly model: ModelState; readonly trainer: TrainerState; readonly best?: ModelState };
  /** Start from an earlier model's weights (see warmStart). */
  readonly warmStart?: (model: WideDeepModel, spec: FittedSpec) => void;
  /** Called once the spec is fitted and the model built, before training. */
  readonly onReady?: (model: WideDeepModel, spec: FittedSpec) => void;
}

/**
 * The whole training run of a config: load data, carve the validation split from training data, fit the
 * feature spec on the remaining training rows only, build the model from the spec's sizes, train jointly,
 * evaluate on validation and test.
 */
export async function fitRun(config: RunConfig, options: FitOptions = {}): Promise<FitOutcome> {
  const t0 = performance.now();
  const data = await loadRunData(config.data, config.seed);
  const vf = config.train.validationFraction;
  const split = vf > 0 ? randomSplit(data.train, { testFraction: vf, seed: config.seed + 1 }) : { train: data.train, test: null };
  const spec = options.resume?.spec ?? (await fitResolved(config.features, [split.train]));
  const model = await WideDeepModel.create(modelSizesOf(spec), config.model, {
    seed: config.seed,
    ...(options.executor ? { executor: options.executor } : {}),
  });
  try {
    if (options.warmStart && !options.resume) options.warmStart(model, spec);
    options.onReady?.(model, spec);
    const validation = split.test ? evalSetOf(spec, split.test, data.userColumn) : undefined;
    const source = memorySource(spec, split.train, config.train.batchSize, config.seed);
    const result = await train(model, source, config.train, {
      ...(validation ? { validation } : {}),
      ...(options.events ? { events: options.events } : {}),
      ...(options.resume ? { resume: options.resume } : {}),
    });
    const test = await evaluateModel(model, evalSetOf(spec, data.test, data.userColumn));
    const val = validation ? await evaluateModel(model, validation) : null;
    return { model, spec, result, validation: val, test, data, seconds: (performance.now() - t0) / 1000 };
  } catch (err) {
    await model.release();
    throw err;
  }
}
