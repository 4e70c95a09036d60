import { WideDeepError } from '../core/errors.js';
import { type MetricKind, MetricAccumulator, auc, concatValues, rankingMetrics } from '../metrics/index.js';
import type { ModelBatch } from '../model/sizes.js';
import type { GroupRates, ModelState, WideDeepModel } from '../model/wide-deep.js';
import type { TrainConfig } from './config.js';
import { divergence, lowerRatesFix } from './divergence.js';
import { lrAt } from './schedules.js';

/** Where training batches come from: the batches of epoch e in an order that depends only on (seed, e). */
export interface TrainSource {
  batches(epoch: number): AsyncIterable<ModelBatch>;
  /** Rows per epoch, when known (for the ETA). */
  readonly rows: number | null;
}

/**
 * A held-out set, transformed once. `users` (aligned with the rows) turns on per-user ranking metrics.
 * `event` (regression only) turns the targets into a binary event that the predictions are also scored
 * against as a ranking: AUC, and the ranking metrics when there are users.
 */
export interface EvalSet {
  readonly batches: readonly ModelBatch[];
  readonly users?: Int32Array;
  readonly event?: (target: number) => boolean;
  /** Binary: the decision threshold of accuracy, precision, recall and F1 (train.threshold). Default 0.5. */
  readonly threshold?: number;
}

export type Metrics = Readonly<Record<string, number>>;

export interface Progress {
  readonly epoch: number;
  readonly epochs: number;
  readonly step: number;
  readonly rowsDone: number;
  readonly rowsTotal: number | null;
  readonly rowsPerSec: number;
  readonly etaSec: number | null;
  /** Running mean of the epoch's training loss. */
  readonly loss: number;
  /** Share of the epoch's time so far spent waiting for the next batch from the source (see EpochRecord). */
  readonly waitFraction: number;
}

export interface EpochRecord {
  readonly epoch: number;
  readonly step: number;
  readonly trainLoss: number;
  readonly rowsPerSec: number;
  readonly seconds: number;
  /**
   * Seconds of `seconds` the step loop spent waiting for the next batch from its source (reading, transforming
   * and shuffling that did not overlap the steps), and that share of `seconds`: ~0 when data keeps up.
   */
  readonly waitSeconds: number;
  readonly waitFraction: number;
  readonly validation: Metrics | null;
  /** Set on the epochs of a refit on all training rows (train.refit, see fitRun). */
  readonly refit?: boolean;
}

/** What a checkpoint holds besides the model: enough to continue as if never stopped. */
export interface TrainerState {
  readonly epochsDone: number;
  readonly history: readonly EpochRecord[];
  readonly best: { readonly value: number; readonly epoch: number } | null;
  readonly stale: number;
}

export interface TrainEvents {
  onProgress?(p: Progress): void;
  onEpoch?(r: EpochRecord): void;
  /**
   * Called after every epoch with the full model state (write it atomically to resume later); `isBest` when
   * this epoch is the best so far under early stopping (keep that state too, to restore it after a resume).
   */
  onCheckpoint?(model: ModelState, trainer: TrainerState, isBest: boolean): Promise<void> | void;
  /** Something wrong that does not stop the run, with what to do about it: a diverged training loss (once per run). */
  onWarning?(w: { readonly message: string; readonly fix: string }): void;
}

export interface TrainResult {
  readonly history: readonly EpochRecord[];
  readonly best: { readonly value: number; readonly epoch: number } | null;
  readonly steps: number;
  readonly stoppedEarly: boolean;
}

const KIND: Record<string, MetricKind> = { binary: 'binary', regression: 'regression', multiclass: 'multiclass' };

/** Options of `evaluateBatches`: what `EvalSet` carries besides its batches. */
export interface EvalOptions {
  /** Aligned with the rows of the batches, in order: turns on per-user ranking metrics. */
  readonly users?: Int32Array;
  /** Regression only: score the predictions as a ranking of this binary event of the targets too. */
  readonly event?: (target: number) => boolean;
  /** Ranking cutoff. Default 10. */
  readonly k?: number;
  /** Binary: the decision threshold of accuracy, precision, recall and F1 (train.threshold). Default 0.5. */
  readonly threshold?: number;
}

/** Scores an evaluation set and returns the flat metrics of the model's objective (plus ranking ones). */
export async function evaluateModel(model: WideDeepModel, set: EvalSet, k = 10): Promise<Metrics> {
  return evaluateBatches(model, set.batches, { k, ...(set.users ? { users: set.users } : {}), ...(set.event ? { event: set.event } : {}), ...(set.threshold !== undefined ? { threshold: set.threshold } : {}) });
}

/**
 * Scores batches as they arrive, from an array or a stream (a test file read in chunks), and returns the
 * flat metrics of the model's objective. Only what the metrics need stays in memory: sums, plus one
 * prediction and label per row for AUC and ranking metrics; the batches themselves are not kept.
 */
export async function evaluateBatches(model: WideDeepModel, batches: AsyncIterable<ModelBatch> | Iterable<ModelBatch>, options: EvalOptions = {}): Promise<Metrics> {
  const k = options.k ?? 10;
  const users = options.users;
  const kind = KIND[model.sizes.objective] as MetricKind;
  const acc = new MetricAccumulator({ kind, ...(kind === 'binary' ? { k, threshold: options.threshold ?? 0.5 } : {}), ...(kind === 'multiclass' ? { numClasses: model.outputs } : {}) } as never);
  const event = kind === 'regression' ? options.event : undefined;
  const scores: Float32Array[] = [];
  const events: Float32Array[] = [];
  let at = 0;
  for await (const b of batches) {
    const p = await model.predict(b);
    const labels = b.labels as Float32Array;
    if (event !== undefined) {
      scores.push(p.prediction); // predict returns fresh arrays
      events.push(Float32Array.from(labels, (y) => (event(y) ? 1 : 0)));
    }
    acc.add({
      predictions: p.prediction,
      labels: kind === 'multiclass' ? Int32Array.from(labels) : labels,
      ...(b.weights ? { weights: b.weights } : {}),
      ...(users && kind === 'binary' ? { users: users.subarray(at, at + b.size) } : {}),
    });
    at += b.size;
  }
  const metrics = flatten(acc.result() as unknown as Record<string, unknown>);
  return event !== undefined ? { ...metrics, ...eventMetrics(concatValues(scores), concatValues(events), users, k) } : metrics;
}

/** AUC (and per-user ranking metrics) of regression predictions against a binary event of the targets. */
function eventMetrics(predictions: Float64Array, labels: Float64Array, users: Int32Array | undefined, k: number): Metrics {
  const n = predictions.length;
  const positives = labels.reduce((s, y) => s + y, 0);
  if (positives === 0 || positives === n) return {};
  const ranking = users !== undefined ? { ranking: rankingMetrics(predictions, labels, users, k) } : {};
  // Named as the binary metric set's are (`ndcg@10`, ...): flatten tags a ranking result's keys with its k.
  return flatten({ auc: auc(predictions, labels), eventRate: positives / n, ...ranking } as unknown as Record<string, unknown>);
}

function flatten(r: Record<string, unknown>, prefix = ''): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(r)) {
    if (typeof v === 'number') out[prefix + k] = v;
    else if (v && typeof v === 'object') {
      const sub = v as Record<string, unknown>;
      const tag = typeof sub.k === 'number' ? `@${sub.k}` : '';
      for (const [k2, v2] of Object.entries(flatten(sub))) if (k2 !== 'k') out[`${prefix}${k2}${tag}`] = v2;
    }
  }
  return out;
}

/** Every parameter group's rate at `step`: the schedule applied to the group's base rate. */
function rates(model: WideDeepModel, config: TrainConfig, step: number, totalSteps: number): GroupRates {
  return Object.fromEntries(model.groups.map((g) => [g.name, lrAt(config.schedule, g.baseRate, step, totalSteps)]));
}

/** The batches of `batches`, with the time spent awaiting each one added to `clock.ms`. */
async function* timed<T>(batches: AsyncIterable<T>, clock: { ms: number }): AsyncGenerator<T, void, undefined> {
  const it = batches[Symbol.asyncIterator]();
  let done = false;
  try {
    for (;;) {
      const t = performance.now();
      const r = await it.next();
      clock.ms += performance.now() - t;
      if (r.done === true) {
        done = true;
        return;
      }
      yield r.value;
    }
  } finally {
    if (!done) await it.return?.();
  }
}

function waitOf(waitMs: number, totalMs: number): { waitSeconds: number; waitFraction: number } {
  return { waitSeconds: waitMs / 1000, waitFraction: totalMs > 0 ? waitMs / totalMs : 0 };
}

/** Options of `train`. */
export interface TrainOptions {
  readonly validation?: EvalSet;
  readonly events?: TrainEvents;
  readonly resume?: { readonly model: ModelState; readonly trainer: TrainerState; readonly best?: ModelState };
  /**
   * Stop after this many epochs, while the learning-rate schedule still spans `config.epochs`: a refit
   * replays the first epochs of the schedule the early-stopped run followed, not a schedule squeezed into
   * fewer epochs (a cosine decay would otherwise reach its minimum at the refit's last epoch).
   */
  readonly stopAfterEpochs?: number;
}

/**
 * Trains jointly for `config.epochs` epochs (or `maxSteps`), evaluating on `validation` after every epoch
 * (and every `evalEverySteps`), with early stopping and restore-best. `resume` continues from a checkpoint:
 * with the same seed the result equals an uninterrupted run, because epoch e's batch order depends only on
 * (seed, e) and the model state carries its step count and dropout generator. With `config.ema` the model
 * averages its weights (startAveraging): validation scores the averages, and when training ends they become
 * the model's weights (those of the best epoch, with restore-best).
 */
export async function train(model: WideDeepModel, source: TrainSource, config: TrainConfig, options: TrainOptions = {}): Promise<TrainResult> {
  const events = options.events ?? {};
  const es = config.earlyStopping;
  if (es && !options.validation) {
    throw new WideDeepError('CONFIG', 'early stopping needs a validation split', { field: 'train.earlyStopping', fix: 'set train.validationFraction > 0' });
  }
  let history: EpochRecord[] = [];
  let best: { value: number; epoch: number } | null = null;
  let bestState: ModelState | null = null;
  let stale = 0;
  let startEpoch = 0;
  if (config.ema) model.startAveraging(config.ema.decay);
  // With train.ema, what validation scores (and what training leaves behind) are the averaged weights.
  const validate = (set: EvalSet): Promise<Metrics> => model.withAveragedWeights(() => evaluateModel(model, set));
  if (options.resume) {
    model.importState(options.resume.model);
    history = [...options.resume.trainer.history];
    best = options.resume.trainer.best;
    stale = options.resume.trainer.stale;
    startEpoch = options.resume.trainer.epochsDone;
    bestState = options.resume.best ?? null;
  }
  const totalSteps = config.maxSteps > 0 ? config.maxSteps : source.rows !== null ? Math.ceil(source.rows / config.batchSize) * config.epochs : Number.MAX_SAFE_INTEGER;
  // A checkpoint written by the epoch that stopped early resumes as stopped: no further epoch.
  let stoppedEarly = es !== undefined && options.resume !== undefined && stale > es.patience;
  const better = (v: number, b: number): boolean => (es?.mode === 'min' ? v < b : v > b);

  const epochs = Math.min(config.epochs, options.stopAfterEpochs ?? config.epochs);
  // The loss of this run's first step (of the resumed model, on resume): the yardstick of divergence.
  let firstStepLoss: number | null = null;
  let warned = false;
  for (let epoch = startEpoch; epoch < epochs && !stoppedEarly; epoch++) {
    const t0 = performance.now();
    let rows = 0;
    let lossSum = 0;
    let lossRows = 0;
    let lastReport = 0;
    const wait = { ms: 0 };
    for await (const batch of timed(source.batches(epoch), wait)) {
      if (config.maxSteps > 0 && model.steps >= config.maxSteps) break;
      const loss = await model.trainStep(batch, rates(model, config, model.steps, totalSteps));
      if (!Number.isFinite(loss)) {
        throw new WideDeepError('RUNTIME', `training diverged: the training loss became ${loss} at step ${model.steps}`, { fix: `${lowerRatesFix(model.groups)}, or check the inputs for extreme values` });
      }
      firstStepLoss ??= loss;
      rows += batch.size;
      lossSum += loss * batch.size;
      lossRows += batch.size;
      const now = performance.now();
      if (events.onProgress && now - lastReport > 250) {
        lastReport = now;
        const rps = rows / ((now - t0) / 1000);
        events.onProgress({
          epoch, epochs, step: model.steps, rowsDone: rows, rowsTotal: source.rows,
          rowsPerSec: rps, etaSec: source.rows !== null ? (source.rows - rows) / rps : null, loss: lossSum / lossRows, waitFraction: wait.ms / (now - t0),
        });
      }
      if (config.evalEverySteps > 0 && options.validation && model.steps % config.evalEverySteps === 0) {
        events.onEpoch?.({ epoch, step: model.steps, trainLoss: lossSum / lossRows, rowsPerSec: rows / ((now - t0) / 1000), seconds: (now - t0) / 1000, ...waitOf(wait.ms, now - t0), validation: await validate(options.validation) });
      }
    }
    const seconds = (performance.now() - t0) / 1000;
    // Averages synced at every epoch's end, checkpointed or not, so that a resumed run rounds as an uninterrupted one.
    model.syncAverages();
    const validation = options.validation ? await validate(options.validation) : null;
    const record: EpochRecord = { epoch, step: model.steps, trainLoss: lossRows ? lossSum / lossRows : NaN, rowsPerSec: rows / seconds, seconds, ...waitOf(wait.ms, seconds * 1000), validation };
    history.push(record);
    events.onEpoch?.(record);
    const diverged = warned || firstStepLoss === null ? null : divergence(epoch, record.trainLoss, firstStepLoss);
    if (diverged !== null) {
      warned = true;
      events.onWarning?.({ message: diverged, fix: lowerRatesFix(model.groups) });
    }
    let isBest = false;
    // This epoch's state: what the checkpoint holds (and, with restore-best, the best state when it is the best).
    let state: ModelState | undefined;
    if (es && validation) {
      const v = validation[es.metric];
      if (v === undefined) {
        throw new WideDeepError('CONFIG', `early stopping watches ${es.metric}, which evaluation does not report`, {
          field: 'train.earlyStopping.metric',
          fix: `use one of ${Object.keys(validation).join(', ')}`,
        });
      }
      if (best === null || better(v, best.value)) {
        best = { value: v, epoch };
        stale = 0;
        isBest = true;
        if (es.restoreBest) bestState = state = model.exportState('full');
      } else if (++stale > es.patience) stoppedEarly = true;
    }
    // Never the stored best: a resumed run without restore-best holds an earlier epoch's there.
    if (events.onCheckpoint) await events.onCheckpoint(state ?? model.exportState('full'), { epochsDone: epoch + 1, history, best, stale }, isBest);
    if (config.maxSteps > 0 && model.steps >= config.maxSteps) break;
  }
  if (es?.restoreBest && bestState && best && best.epoch !== history[history.length - 1]?.epoch) model.importState(bestState);
  model.finishAveraging();
  return { history, best, steps: model.steps, stoppedEarly };
}
