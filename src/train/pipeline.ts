import { WideDeepError } from '../core/errors.js';
import { valuesArray } from '../data/chunk.js';
import { getColumn, sliceRows } from '../data/index.js';
import type { RowChunk } from '../data/types.js';
import { fitResolved } from '../features/fit.js';
import type { FittedSpec } from '../features/fitted-spec.js';
import { predicateTest } from '../features/labels.js';
import { transform } from '../features/transform.js';
import { modelBatchOf, modelSizesOf } from '../model/from-spec.js';
import type { ModelBatch } from '../model/sizes.js';
import { WideDeepModel, type ModelState } from '../model/wide-deep.js';
import type { Executor } from '../runtime/executor.js';
import { checkRefit } from './config.js';
import type { RunConfig, StreamConfig } from './run-config.js';
import { StreamData } from './stream-source.js';
import { type RunData, loadRunData, skippedLine } from './run-data.js';
import { memorySource } from './memory-source.js';
import { recencyWeights } from './recency-weights.js';
import { validationSplitOf } from './validation-split.js';
import { type EpochRecord, type EvalOptions, type EvalSet, type Metrics, type TrainEvents, type TrainResult, type TrainerState, type TrainSource, evaluateBatches, evaluateModel, train } from './trainer.js';

/** Transforms rows into model batches of `batchSize` (in order). */
export function batchesOf(spec: FittedSpec, rows: RowChunk, batchSize: number): ModelBatch[] {
  const out: ModelBatch[] = [];
  for (let s = 0; s < rows.numRows; s += batchSize) out.push(modelBatchOf(transform(spec, sliceRows(rows, s, Math.min(rows.numRows, s + batchSize)))));
  return out;
}

/** The evaluation options a spec implies: a regression label's event is also scored as a ranking. */
export function evalOptionsOf(spec: FittedSpec): EvalOptions {
  const label = spec.label;
  return label?.kind === 'regression' && label.event !== undefined ? { event: predicateTest(label.event) } : {};
}

/** An evaluation set: transformed once, with user ids for ranking metrics when the data has users. */
export function evalSetOf(spec: FittedSpec, rows: RowChunk, userColumn: string | null, batchSize = 4096): EvalSet {
  const batches = batchesOf(spec, rows, batchSize);
  const event = evalOptionsOf(spec);
  if (userColumn === null || !rows.columns.has(userColumn)) return { batches, ...event };
  const raw = valuesArray(getColumn(rows, userColumn));
  const ids = new Map<string, number>();
  const users = new Int32Array(rows.numRows);
  for (let i = 0; i < rows.numRows; i++) {
    const key = String(raw[i]);
    let id = ids.get(key);
    if (id === undefined) ids.set(key, (id = ids.size));
    users[i] = id;
  }
  return { batches, users, ...event };
}

export interface FitOutcome {
  /** The final model: the refitted one under train.refit. */
  readonly model: WideDeepModel;
  /** The final model's feature spec (under train.refit, fitted on all training rows). */
  readonly spec: FittedSpec;
  /** Training with the validation split: its history, best epoch, steps. */
  readonly result: TrainResult;
  /**
   * Validation metrics of the model trained on the validation split (the restored best one). Under
   * train.refit, the final model is not scored on validation: it was trained on those rows.
   */
  readonly validation: Metrics | null;
  /** Test metrics of the final model. */
  readonly test: Metrics;
  /** What the refit did (train.refit), else null. */
  readonly refit: RefitResult | null;
  /**
   * The run's data. In stream mode (data.stream) no rows are held: `train` and `test` throw, and the
   * fingerprint also holds the row counts of every part and the skipped rows.
   */
  readonly data: RunData;
  readonly seconds: number;
  /** The config the run trained (what `saveModel` records in the bundle). */
  readonly config: RunConfig;
}

export interface FitOptions {
  readonly events?: TrainEvents;
  readonly executor?: Executor;
  /** ONNX Runtime intra-op threads; wins over the config's train.threads (absent both: the model's default). */
  readonly threads?: number;
  /** Continue from a checkpoint written by events.onCheckpoint (same config, same seed). */
  readonly resume?: { readonly spec: FittedSpec; readonly model: ModelState; readonly trainer: TrainerState; readonly best?: ModelState };
  /** Start from an earlier model's weights (see warmStart). */
  readonly warmStart?: (model: WideDeepModel, spec: FittedSpec) => void;
  /**
   * The run's rows, instead of loading config.data (memory mode only): e.g. the training split cut again
   * into train and a pseudo-test part, to compare configs by nested validation without reading test.
   */
  readonly data?: RunData;
  /** Called once the spec is fitted and the model built, before training (not again for a refit). */
  readonly onReady?: (model: WideDeepModel, spec: FittedSpec) => void;
  /**
   * Receives one-line notes on the run's data (stream mode: what the fit pass read, held out and skipped)
   * and on the refit (train.refit) when it starts.
   */
  readonly log?: (line: string) => void;
}

/** What train.refit did: the epochs early stopping chose, the rows trained on, and its epochs. */
export interface RefitResult {
  /** Epochs of the refit: early stopping's best epoch + 1. */
  readonly epochs: number;
  /** Examples per refit epoch: all training rows (train + validation), less rows the transform skipped. */
  readonly rows: number;
  readonly steps: number;
  /** The refit's epochs (no validation metrics: the validation rows are training rows here). */
  readonly history: readonly EpochRecord[];
}

/**
 * A training source and what ends it: a stream-mode source starts its first epoch's pass when it is made
 * (`StreamData.source`), and `close` stops that pass when training never took it (a failure, a resumed run
 * with no epoch left).
 */
type OwnedSource = TrainSource & { readonly close?: () => Promise<void> };

/** What training and evaluation take from the data, once the spec is fitted. */
interface Prepared {
  readonly spec: FittedSpec;
  readonly validation: (spec: FittedSpec) => EvalSet | undefined;
  /** The training source; `firstEpoch` is the epoch training starts at (a stream-mode source starts it at once). */
  readonly source: (spec: FittedSpec, firstEpoch: number) => OwnedSource;
  readonly test: (model: WideDeepModel, spec: FittedSpec) => Promise<Metrics>;
  readonly data: (spec: FittedSpec) => RunData;
  /** All training rows (train + validation) for train.refit: a spec fitted on them, and them as a source. */
  readonly allTraining: () => Promise<{ readonly spec: FittedSpec; readonly source: (spec: FittedSpec) => OwnedSource }>;
}

/**
 * Checks that a resumed run refits as the uninterrupted one would. train.refit combines with --resume and
 * warm starts: a resumed run resumes the training with the validation split from its checkpoint and then
 * refits from scratch (the refit is not checkpointed; it is a function of the config, the seed and the
 * epoch count, so the resumed run ends as an uninterrupted one), and a warm start starts the refit model
 * from the same earlier model. What a resumed run cannot know by itself is whether the first run was
 * warm-started: `warmStartedFrom` (recorded in the checkpoint; undefined when it is not) must match
 * `warmStart`, the bundle given now (null: none).
 */
export function checkRefitResume(config: RunConfig, o: { readonly warmStart: string | null; readonly warmStartedFrom?: string | null }): void {
  if (!config.train.refit || o.warmStartedFrom === undefined || o.warmStartedFrom === o.warmStart) return;
  const was = o.warmStartedFrom === null ? 'was not warm-started' : `was warm-started from ${o.warmStartedFrom}`;
  const now = o.warmStart === null ? 'no --warm-start is given' : `--warm-start is ${o.warmStart}`;
  throw new WideDeepError('CONFIG', `train.refit: the checkpointed run ${was}, and ${now}: the refit model would not start as in the uninterrupted run`, {
    field: 'train.refit',
    fix: o.warmStartedFrom === null ? 'resume without --warm-start' : `resume with --warm-start ${o.warmStartedFrom}`,
  });
}

/**
 * The whole training run of a config: load data, carve the validation split from training data, fit the
 * feature spec on the remaining training rows only, build the model from the spec's sizes, train jointly,
 * evaluate on validation and test. With data.stream the file is streamed instead of loaded (see
 * stream-source.ts): same steps, with memory bounded by the shuffle buffer and chunk sizes.
 */
export async function fitRun(config: RunConfig, options: FitOptions = {}): Promise<FitOutcome> {
  const t0 = performance.now();
  checkRefit(config.train);
  if (options.data && config.data.stream !== undefined) {
    throw new WideDeepError('CONFIG', 'fitRun: options.data gives rows in memory, and the config streams its data (data.stream)', { field: 'data.stream', fix: 'remove data.stream, or do not pass options.data' });
  }
  const prepared = config.data.stream !== undefined ? await prepareStream(config, options) : await prepareMemory(config, options);
  return trainAndEvaluate(config, options, prepared, t0);
}

async function prepareMemory(config: RunConfig, options: FitOptions): Promise<Prepared> {
  const data = options.data ?? (await loadRunData(config.data, config.seed, config.features));
  const skipped = skippedLine(data.reads ?? []);
  if (skipped !== null) options.log?.(skipped);
  const split = validationSplitOf(data, config);
  const weights = recencyWeights(split.train, config.train, data, config.data.dataset);
  const spec = options.resume?.spec ?? (await fitResolved(config.features, [split.train]));
  const threshold = config.train.threshold;
  return {
    spec,
    validation: (s) => (split.validation ? { ...evalSetOf(s, split.validation, data.userColumn), threshold } : undefined),
    source: (s) => memorySource(s, split.train, config.train.batchSize, config.seed, weights),
    test: (model, s) => evaluateModel(model, { ...evalSetOf(s, data.test, data.userColumn), threshold }),
    data: () => data,
    allTraining: async () => ({
      spec: await fitResolved(config.features, [data.train]),
      source: (s) => memorySource(s, data.train, config.train.batchSize, config.seed, recencyWeights(data.train, config.train, data, config.data.dataset)),
    }),
  };
}

/**
 * Stream mode: one scan fits the spec on the training rows (keeping the validation rows up to the cap),
 * every epoch re-reads the file through a seeded shuffle buffer, and the test rows are scored in a scan.
 */
async function prepareStream(config: RunConfig, options: FitOptions): Promise<Prepared> {
  const stream = config.data.stream as StreamConfig;
  if (config.train.recencyWeight) {
    throw new WideDeepError('CONFIG', "train.recencyWeight ranks each user's rows in time, which needs the data in memory, and data.stream reads it as a stream", {
      field: 'train.recencyWeight',
      fix: 'remove train.recencyWeight, or data.stream',
    });
  }
  if (config.train.earlyStopping && config.train.validationFraction > 0 && stream.maxValidationRows === 0) {
    throw new WideDeepError('CONFIG', 'early stopping needs validation rows, and data.stream.maxValidationRows is 0', {
      field: 'data.stream.maxValidationRows',
      fix: 'keep some validation rows (default 100000), or remove train.earlyStopping',
    });
  }
  const data = await StreamData.open(config.data, config.seed, config.train.validationFraction, config.features);
  const pass = data.fitPass();
  let spec: FittedSpec;
  if (options.resume) {
    // The checkpoint has the spec; the scan still collects the validation rows and counts the training rows.
    for await (const chunk of pass) void chunk;
    spec = options.resume.spec;
  } else spec = await fitResolved(config.features, pass);
  options.log?.(data.describe());
  return {
    spec,
    validation: (s) => {
      const rows = data.validationRows();
      data.dropValidationRows();
      return rows ? { ...evalSetOf(s, rows, null), threshold: config.train.threshold } : undefined;
    },
    // No early pass when no epoch is left (a resumed run that had trained them all).
    source: (s, firstEpoch) => data.source(s, config.train.batchSize, firstEpoch < config.train.epochs ? { early: firstEpoch } : {}),
    test: (model, s) => evaluateBatches(model, data.testBatches(s), { ...evalOptionsOf(s), threshold: config.train.threshold }),
    data: (s) => streamedRunData(data.fingerprint(s)),
    allTraining: async () => {
      // The same file with no validation share: the test rows are held out by the same hash (seed), and
      // every other row (the former train and validation rows) trains. A fit pass refits the spec on them.
      const all = await StreamData.open(config.data, config.seed, 0, config.features);
      const refitSpec = await fitResolved(config.features, all.fitPass());
      options.log?.(`refit: ${all.describe()}`);
      return { spec: refitSpec, source: (s) => all.source(s, config.train.batchSize, { early: 0 }) };
    },
  };
}

/** RunData of a stream-mode run: the fingerprint, and no rows. */
function streamedRunData(fingerprint: Record<string, unknown>): RunData {
  const absent = (what: string): never => {
    throw new WideDeepError('CONFIG', `a stream-mode run holds no ${what} rows in memory`, {
      field: 'data.stream',
      fix: 'read them with loadRunData(config.data, config.seed) (same split), or train without data.stream',
    });
  };
  return {
    get train(): RowChunk {
      return absent('training');
    },
    get test(): RowChunk {
      return absent('test');
    },
    fingerprint,
    userColumn: null,
    timeOrder: null,
  };
}

function createModel(config: RunConfig, options: FitOptions, spec: FittedSpec): Promise<WideDeepModel> {
  const threads = options.threads ?? config.train.threads;
  return WideDeepModel.create(modelSizesOf(spec), config.model, {
    seed: config.seed,
    ...(options.executor ? { executor: options.executor } : {}),
    ...(threads !== undefined ? { threads } : {}),
    ...(config.train.sparseWorkers !== undefined ? { sparseWorkers: config.train.sparseWorkers } : {}),
  });
}

async function trainAndEvaluate(config: RunConfig, options: FitOptions, prepared: Prepared, t0: number): Promise<FitOutcome> {
  const { spec } = prepared;
  // The source before the model: in stream mode the first epoch's pass (its scan, shuffle-buffer fill and first
  // batches) runs on its worker while the model is built and the validation rows are transformed here.
  const source = prepared.source(spec, options.resume?.trainer.epochsDone ?? 0);
  let model: WideDeepModel | null = null;
  let trained: { result: TrainResult; validation: Metrics | null };
  try {
    model = await createModel(config, options, spec);
    if (options.warmStart && !options.resume) options.warmStart(model, spec);
    options.onReady?.(model, spec);
    const validation = prepared.validation(spec);
    const result = await train(model, source, config.train, {
      ...(validation ? { validation } : {}),
      ...(options.events ? { events: options.events } : {}),
      ...(options.resume ? { resume: options.resume } : {}),
    });
    // Before the test pass: an early pass never taken gives its worker back.
    await source.close?.();
    if (!config.train.refit) {
      const test = await prepared.test(model, spec);
      const val = validation ? await evaluateModel(model, validation) : null;
      return { model, spec, result, validation: val, test, refit: null, data: prepared.data(spec), seconds: (performance.now() - t0) / 1000, config };
    }
    trained = { result, validation: validation ? await evaluateModel(model, validation) : null };
  } catch (err) {
    await source.close?.();
    await model?.release();
    throw err;
  }
  // The model that chose the epoch count has done its part; the refit replaces it.
  await model.release();
  return refitAndEvaluate(config, options, prepared, trained.result, trained.validation, t0);
}

/**
 * train.refit: a fresh model (same seed, same config, warm-started as the first one was) on all training
 * rows, with a spec refitted on them, for the epochs early stopping chose; it is the final model and the
 * only one scored on test. Its epochs go to events.onEpoch marked `refit: true`, with no validation
 * metrics, and are not checkpointed (a resumed run refits again from scratch, with the same result).
 */
async function refitAndEvaluate(config: RunConfig, options: FitOptions, prepared: Prepared, result: TrainResult, validation: Metrics | null, t0: number): Promise<FitOutcome> {
  if (result.best === null) {
    throw new WideDeepError('CONFIG', 'train.refit: early stopping recorded no best epoch, so there is no epoch count to refit for', {
      field: 'train.refit',
      fix: 'check that validation reports train.earlyStopping.metric, or set train.refit: false',
    });
  }
  const epochs = result.best.epoch + 1;
  const all = await prepared.allTraining();
  // The source before the model, as in trainAndEvaluate: the refit's first epoch starts while the model is built.
  const source = all.source(all.spec);
  let model: WideDeepModel | null = null;
  try {
    model = await createModel(config, options, all.spec);
    options.warmStart?.(model, all.spec);
    options.log?.(`refit: a fresh model on all ${source.rows ?? '?'} training rows (validation rows included) for ${epochs} epochs, the best epoch of early stopping`);
    const history: EpochRecord[] = [];
    const events = options.events;
    const { earlyStopping: _chosen, ...rest } = config.train;
    const r = await train(model, source, { ...rest, evalEverySteps: 0 }, {
      stopAfterEpochs: epochs,
      events: {
        ...(events?.onProgress ? { onProgress: events.onProgress } : {}),
        onEpoch: (e) => {
          const record = { ...e, refit: true };
          history.push(record);
          events?.onEpoch?.(record);
        },
      },
    });
    await source.close?.();
    const test = await prepared.test(model, all.spec);
    const refit: RefitResult = { epochs, rows: source.rows ?? 0, steps: r.steps, history };
    // The data's fingerprint describes the split the epoch count was chosen on (the refit's rows are in `refit`).
    return { model, spec: all.spec, result, validation, test, refit, data: prepared.data(prepared.spec), seconds: (performance.now() - t0) / 1000, config };
  } catch (err) {
    await source.close?.();
    await model?.release();
    throw err;
  }
}
