import { basename } from 'node:path';
import { LIBRARY_VERSION } from '../artifact/bundle.js';
import { scoreRows, trialCurves } from '../experiments/curves.js';
import { type ColumnImportance, permutationImportance } from '../experiments/importance.js';
import type { EpochSummary } from '../experiments/trial.js';
import type { WideDeepModel } from '../model/wide-deep.js';
import type { FitOutcome } from '../train/pipeline.js';
import type { EpochRecord } from '../train/trainer.js';
import { type ParameterCount, RUN_RECORD_FORMAT, type RunRecord } from './run-record.js';

/** How the record of a fit is made: where it is written, and what the fit's sessions ran on. */
export interface RunRecordOptions {
  /** The run's output directory (its base name is the run's name). */
  readonly outDir: string;
  /** ONNX Runtime intra-op threads the model's sessions ran with. */
  readonly threads: number;
  /**
   * Compute permutation importance (a scoring pass per input column over up to 10,000 test rows: 1-2 s on
   * Adult, so `fit` asks for it with --report only). Default false: `importance` is null.
   */
  readonly importance?: boolean;
  /** Seed of the importance's row sample and shuffles (default 0). */
  readonly importanceSeed?: number;
  /** The record's time (default: now). */
  readonly now?: Date;
}

function summary(h: EpochRecord): EpochSummary {
  return { epoch: h.epoch, step: h.step, trainLoss: h.trainLoss, rowsPerSec: h.rowsPerSec, seconds: h.seconds, validation: h.validation };
}

/** Weights per tensor of a model: sparse tables as rows x dim, dense parameters by shape (inspect's groups). */
export function parameterCounts(model: WideDeepModel): ParameterCount[] {
  const groupOf = (name: string) => (name.startsWith('wide') ? 'wide' : name.startsWith('emb.') ? 'embeddings' : 'deep');
  const tables = model.tables().map((t) => ({ tensor: t.name, group: groupOf(t.name), count: t.numRows * t.dim }));
  const dense = model.runner.forward.params.map((p) => ({ tensor: `dense.${p.name}`, group: 'deep', count: p.shape.reduce((a, b) => a * b, 1) }));
  return [...tables, ...dense];
}

/**
 * The test split's curves and (when asked) permutation importance, when the run holds its test rows (memory mode) and the
 * model has one output. Scores the test rows once more through the model's own path (`scoreRows`).
 */
async function testAnalysis(outcome: FitOutcome, seed: number, withImportance: boolean): Promise<{ curves: RunRecord['curves']; importance: ColumnImportance[] | null }> {
  if (outcome.config.data.stream !== undefined || outcome.model.outputs !== 1) return { curves: null, importance: null };
  const rows = outcome.data.test;
  const binary = outcome.model.sizes.objective === 'binary';
  const curves = binary ? trialCurves(await scoreRows(outcome.model, outcome.spec, rows)) : null;
  const importance = withImportance ? await permutationImportance(outcome.model, outcome.spec, rows, { seed }) : null;
  return { curves, importance };
}

/** The run record of a finished fit (see RunRecord); the model must not be released yet. */
export async function runRecordOf(outcome: FitOutcome, o: RunRecordOptions): Promise<RunRecord> {
  const history = outcome.result.history.map(summary);
  const r = outcome.refit;
  const refit = r ? { epochs: r.epochs, rows: r.rows, history: r.history.map(summary) } : null;
  const epochs = [...history, ...(refit?.history ?? [])];
  const trainSeconds = epochs.reduce((s, h) => s + h.seconds, 0);
  const trainRows = epochs.reduce((s, h) => s + h.rowsPerSec * h.seconds, 0);
  const { curves, importance } = await testAnalysis(outcome, o.importanceSeed ?? 0, o.importance === true);
  return {
    format: RUN_RECORD_FORMAT,
    kind: 'fit',
    name: basename(o.outDir),
    createdAt: (o.now ?? new Date()).toISOString(),
    config: outcome.config.raw,
    dataFingerprint: outcome.data.fingerprint,
    seed: outcome.config.seed,
    objective: outcome.model.sizes.objective,
    history,
    refit,
    validation: outcome.validation,
    test: outcome.test,
    curves,
    importance,
    parameters: parameterCounts(outcome.model),
    seconds: outcome.seconds,
    rowsPerSec: trainSeconds > 0 ? trainRows / trainSeconds : null,
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    threads: o.threads,
    library: { name: 'widedeep', version: LIBRARY_VERSION },
    node: process.version,
    model: 'model',
  };
}
