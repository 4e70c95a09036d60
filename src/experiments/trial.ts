import { LIBRARY_VERSION } from '../artifact/bundle.js';
import { availableCores } from '../runtime/cores.js';
import type { Executor, SessionOptions } from '../runtime/executor.js';
import { nodeExecutor } from '../runtime/node.js';
import { fitRun } from '../train/pipeline.js';
import { parseRunConfig } from '../train/run-config.js';
import type { Metrics } from '../train/trainer.js';
import { scoreRows, trialCurves, type TrialCurves } from './curves.js';
import { type ColumnImportance, permutationImportance } from './importance.js';
import { analyseLongTail, type LongTailResult } from './long-tail.js';
import type { TrialSpec } from './suite.js';

export const RESULTS_FORMAT = 1;

export interface EpochSummary {
  readonly epoch: number;
  readonly step: number;
  readonly trainLoss: number;
  readonly rowsPerSec: number;
  readonly seconds: number;
  readonly validation: Metrics | null;
}

/** One line of a results file: everything about one finished (or failed) trial. */
export interface TrialRecord {
  readonly format: number;
  readonly status: 'ok' | 'failed';
  readonly suite: string;
  readonly variant: string;
  readonly variantIndex: number;
  readonly baseline: string;
  readonly metric: string;
  readonly key: string;
  readonly seed: number;
  readonly overrides: Readonly<Record<string, unknown>>;
  readonly configHash: string;
  readonly config: Record<string, unknown>;
  readonly objective: string | null;
  /** Epochs of the run early stopping watched (the learning curves). */
  readonly history: readonly EpochSummary[];
  /** train.refit: the refit's epochs (no validation), or null without refit (absent in older results files). */
  readonly refit?: { readonly epochs: number; readonly rows: number; readonly history: readonly EpochSummary[] } | null;
  readonly validation: Metrics | null;
  readonly test: Metrics | null;
  readonly curves: TrialCurves | null;
  /**
   * Permutation importance on the test split (at most 10,000 rows, seed 0): the test metric lost per shuffled
   * input column; null in stream mode and for multi-class models (absent in older results files).
   */
  readonly importance?: readonly ColumnImportance[] | null;
  readonly longTail: LongTailResult | null;
  /** Wall time of the whole trial (data, fit, evaluation, analysis). */
  readonly seconds: number;
  /** Training rows per second over all epochs (those of the refit included). */
  readonly rowsPerSec: number | null;
  /** Peak resident memory of the process that ran the trial. */
  readonly peakRssMB: number;
  /** ONNX Runtime intra-op threads the trial's sessions ran on (metrics may differ in the last digits between counts). */
  readonly threads: number;
  readonly library: { readonly name: 'widedeep'; readonly version: string };
  readonly node: string;
  readonly dataFingerprint: Record<string, unknown> | null;
  readonly error: string | null;
}

/** How many intra-op threads a trial runs on: `threads` when given, else the model's own rule within `budget`. */
export interface TrialThreads {
  /** --threads: every session of the trial runs on this many (wins over the config's train.threads). */
  readonly threads?: number;
  /** The trial's share of the cores, for sessions the model and config leave to the default (default: all). */
  readonly budget?: number;
}

/**
 * An executor whose sessions run on `budget` intra-op threads unless the model names its own count (one thread
 * for a tiny dense part, train.threads, --threads), and that remembers the count its sessions ran with.
 */
export function budgetExecutor(budget: number, base: Executor = nodeExecutor): { executor: Executor; used: () => number | undefined } {
  let used: number | undefined;
  const createSession = (model: Uint8Array, options: SessionOptions = {}) => {
    used = options.threads ?? budget;
    return base.createSession(model, { ...options, threads: used });
  };
  return { executor: { ...base, createSession, defaultThreads: () => budget }, used: () => used };
}

function baseRecord(trial: TrialSpec, threads: number) {
  return {
    format: RESULTS_FORMAT,
    suite: trial.suite,
    variant: trial.variant,
    variantIndex: trial.variantIndex,
    baseline: trial.baseline,
    metric: trial.metric,
    key: trial.key,
    seed: trial.seed,
    overrides: trial.overrides,
    configHash: trial.configHash,
    config: trial.config,
    threads,
    library: { name: 'widedeep' as const, version: LIBRARY_VERSION },
    node: process.version,
  };
}

function peakRssMB(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

/**
 * Trains and evaluates one trial; failures become a `failed` record rather than an exception. The record's
 * `threads` is the intra-op thread count its sessions ran with.
 */
export async function runTrial(trial: TrialSpec, options: TrialThreads = {}): Promise<TrialRecord> {
  const t0 = performance.now();
  const { executor, used } = budgetExecutor(options.budget ?? availableCores());
  const threads = (): number => used() ?? options.threads ?? options.budget ?? availableCores();
  try {
    const config = parseRunConfig(trial.config, `${trial.suite}: ${trial.variant}, seed ${trial.seed}`);
    const out = await fitRun(config, { executor, ...(options.threads !== undefined ? { threads: options.threads } : {}) });
    try {
      const single = out.model.outputs === 1;
      // Stream mode holds no test rows: its test metrics come from the streamed pass, without curves.
      const testRows = config.data.stream === undefined ? out.data.test : null;
      const scored = single && testRows !== null ? await scoreRows(out.model, out.spec, testRows) : null;
      const binary = out.model.sizes.objective === 'binary';
      const importance = scored && testRows !== null ? await permutationImportance(out.model, out.spec, testRows) : null;
      const longTail = trial.analysis.longTail && scored && testRows !== null ? await analyseLongTail(out.model, out.spec, config, testRows, scored, trial.analysis.longTail) : null;
      const summary = (h: EpochSummary): EpochSummary => ({ epoch: h.epoch, step: h.step, trainLoss: h.trainLoss, rowsPerSec: h.rowsPerSec, seconds: h.seconds, validation: h.validation });
      const history = out.result.history.map(summary);
      const refit = out.refit ? { epochs: out.refit.epochs, rows: out.refit.rows, history: out.refit.history.map(summary) } : null;
      const epochs = [...history, ...(refit?.history ?? [])];
      const trainSeconds = epochs.reduce((s, h) => s + h.seconds, 0);
      const trainRows = epochs.reduce((s, h) => s + h.rowsPerSec * h.seconds, 0);
      return {
        ...baseRecord(trial, threads()),
        status: 'ok',
        objective: out.model.sizes.objective,
        history,
        refit,
        validation: out.validation,
        test: out.test,
        curves: binary && scored ? trialCurves(scored) : null,
        importance,
        longTail,
        seconds: (performance.now() - t0) / 1000,
        rowsPerSec: trainSeconds > 0 ? trainRows / trainSeconds : null,
        peakRssMB: peakRssMB(),
        dataFingerprint: out.data.fingerprint,
        error: null,
      };
    } finally {
      await out.model.release();
    }
  } catch (err) {
    return failedRecord(trial, threads(), err, (performance.now() - t0) / 1000);
  }
}

/** The record of a trial that did not finish: its error message instead of metrics. */
export function failedRecord(trial: TrialSpec, threads: number, err: unknown, seconds: number): TrialRecord {
  return {
    ...baseRecord(trial, threads),
    status: 'failed',
    objective: null,
    history: [],
    refit: null,
    validation: null,
    test: null,
    curves: null,
    importance: null,
    longTail: null,
    seconds,
    rowsPerSec: null,
    peakRssMB: peakRssMB(),
    dataFingerprint: null,
    error: err instanceof Error ? err.message : String(err),
  };
}
