import { basename, join, resolve } from 'node:path';
import { WideDeepError } from '../core/errors.js';
import { sweep } from '../artifact/atomic-dir.js';
import { readBundle, saveBundle } from '../artifact/bundle.js';
import { saveModel } from '../artifact/save-model.js';
import { type ChartLoaders, requireChartPackages } from '../experiments/render.js';
import { budgetExecutor } from '../experiments/trial.js';
import type { FittedSpec } from '../features/fitted-spec.js';
import type { ModelState } from '../model/wide-deep.js';
import { type FitOutcome, checkRefitResume, fitRun } from '../train/pipeline.js';
import { checkResumeConfig } from '../train/resume-config.js';
import { type RunConfig, loadRunConfig } from '../train/run-config.js';
import type { EpochRecord, TrainerState } from '../train/trainer.js';
import { warmStart } from '../train/warm-start.js';
import { writeFileAtomic } from '../artifact/atomic-file.js';
import { RUN_PAGE_FILE, writeRunPage } from '../report/run-page.js';
import { runRecordOf } from '../report/run-record-of.js';
import { RUN_RECORD_FILE, type RunRecord } from '../report/run-record.js';
import { availableCores } from '../runtime/cores.js';
import { defaultExecutor } from '../runtime/default.js';
import { epochsFlag, flags, intFlag, log, out, required, threadsFlag, warn } from './args.js';
import { progressView } from './progress.js';
import { FIT_OPTIONS } from './options/fit.js';

/** Applies command-line overrides (seed, data dir, epochs) to a loaded config. */
export function withOverrides(c: RunConfig, o: { seed?: number; dataDir?: string; epochs?: number }): RunConfig {
  return {
    ...c,
    seed: o.seed ?? c.seed,
    data: o.dataDir !== undefined ? { ...c.data, dataDir: o.dataDir } : c.data,
    train: o.epochs !== undefined ? { ...c.train, epochs: o.epochs } : c.train,
  };
}

/**
 * A run's checkpoint, for --resume. `warmStartedFrom` is the bundle the checkpointed run was warm-started
 * from (null: none; undefined: a checkpoint from before this was recorded).
 */
async function readCheckpoint(dir: string, config: RunConfig): Promise<{ spec: FittedSpec; model: ModelState; trainer: TrainerState; best?: ModelState; warmStartedFrom?: string | null }> {
  const path = join(dir, 'checkpoint');
  const bestPath = join(dir, 'checkpoint-best');
  // Sweeping first removes what killed saves left; a first save killed before its commit leaves nothing.
  if (!(await sweep(path))) {
    throw new WideDeepError('BUNDLE', `no checkpoint yet in ${dir}: --resume continues a run that saved one there (one per epoch, with train.checkpoint on)`, { file: path, fix: 'rerun without --resume' });
  }
  const hasBest = await sweep(bestPath);
  const ck = await readBundle(path);
  const trainer = ck.manifest.trainer as TrainerState | undefined;
  if (!trainer) throw new WideDeepError('BUNDLE', 'the checkpoint has no trainer state', { file: path, fix: 'rerun without --resume' });
  checkResumeConfig(config, ck.manifest.config, ck.manifest.seed, path);
  // A checkpoint of the best epoch holds the best state itself, and checkpoint-best is saved after it: when a
  // kill came between the two, checkpoint-best is an earlier epoch's, and is rewritten here from the checkpoint.
  const bestIsLast = trainer.best?.epoch === trainer.epochsDone - 1;
  const stored = hasBest ? await readBundle(bestPath) : undefined;
  if (bestIsLast && stored?.manifest.weights.sha256 !== ck.manifest.weights.sha256) {
    await saveBundle(bestPath, { config: config.raw, model: config.model, seed: config.seed, spec: ck.spec, state: ck.state });
  }
  const best = bestIsLast ? ck.state : stored?.state;
  const from = ck.manifest.metrics.warmStartedFrom;
  const warmStartedFrom = from === null || typeof from === 'string' ? { warmStartedFrom: from } : {};
  return { spec: ck.spec, model: ck.state, trainer, ...(best ? { best } : {}), ...warmStartedFrom };
}

/** What fitCommand does besides training: where it writes, how it resumes or warm-starts, whether it draws. */
export interface FitCommandOptions {
  readonly outDir: string;
  readonly json: boolean;
  readonly resume: boolean;
  readonly warmStartDir?: string;
  readonly saveOptimizerState: boolean;
  readonly threads?: number;
  /** Write `<out>/report.html` (the run page) after run.json. */
  readonly report?: boolean;
  /** How the run page imports vega and vega-lite (tests simulate their absence here). */
  readonly chartLoaders?: ChartLoaders;
}

const REPORT_USED_BY = 'the run page of `widedeep fit --report` (fit without --report needs neither)';

/**
 * Trains a config and writes the model bundle and the run record (`<out>/run.json`; with `report`, the run
 * page `<out>/report.html` too); returns the outcome and the record (the model is released by the caller).
 * With `report`, vega and vega-lite are loaded first, so that a missing package fails before training.
 */
export async function fitCommand(config: RunConfig, o: FitCommandOptions): Promise<FitOutcome & { readonly record: RunRecord }> {
  if (o.report === true) await requireChartPackages(REPORT_USED_BY, o.chartLoaders);
  const view = progressView(o.json);
  const resume = o.resume ? await readCheckpoint(o.outDir, config) : undefined;
  const warmStartedFrom = o.warmStartDir !== undefined ? resolve(o.warmStartDir) : null;
  if (resume) {
    checkRefitResume(config, { warmStart: warmStartedFrom, ...(resume.warmStartedFrom !== undefined ? { warmStartedFrom: resume.warmStartedFrom } : {}) });
    log(`resuming from ${join(o.outDir, 'checkpoint')} after epoch ${resume.trainer.epochsDone}${config.train.refit ? ' (the refit on all training rows follows from scratch)' : ''}`);
  }
  const previous = o.warmStartDir !== undefined ? await readBundle(o.warmStartDir) : undefined;
  let spec: FittedSpec | undefined;
  const bundleBase = { config: config.raw, model: config.model, seed: config.seed };
  // The executor the model would get anyway, wrapped to remember the thread count its sessions run with.
  const { executor, used } = budgetExecutor(availableCores(), await defaultExecutor());
  const outcome = await fitRun(config, {
    log,
    executor,
    ...(o.threads !== undefined ? { threads: o.threads } : {}),
    ...(resume ? { resume } : {}),
    ...(previous
      ? {
          warmStart: (model, s) => {
            const r = warmStart(model, s, previous);
            log(`warm start from ${o.warmStartDir}: ${r.copiedRows} rows kept, ${r.freshRows} fresh; dense kept ${r.copiedDense.length}, fresh ${r.freshDense.length}`);
          },
        }
      : {}),
    onReady: (_m, s) => {
      spec = s;
    },
    events: {
      onProgress: (p) => view.progress(p),
      onEpoch: (r) => view.epoch(r),
      onWarning: (w) => warn('fit', w, o.json),
      onCheckpoint: async (state, trainer, isBest) => {
        if (!config.train.checkpoint) return;
        const b = { ...bundleBase, spec: spec as FittedSpec, state };
        // The warm start is recorded so that a resumed refit run can check it starts the refit the same way.
        await saveBundle(join(o.outDir, 'checkpoint'), { ...b, trainer, metrics: { warmStartedFrom } });
        if (isBest) await saveBundle(join(o.outDir, 'checkpoint-best'), b);
      },
    },
  });
  view.done();
  await saveModel(outcome, join(o.outDir, 'model'), { optimizerState: o.saveOptimizerState });
  const record = await runRecordOf(outcome, { outDir: o.outDir, threads: used() ?? o.threads ?? availableCores(), importance: o.report === true });
  await writeFileAtomic(join(o.outDir, RUN_RECORD_FILE), `${JSON.stringify(record, null, 1)}\n`);
  if (o.report === true) {
    await writeRunPage(record, o.outDir, o.chartLoaders);
  }
  return { ...outcome, record };
}

export async function fit(argv: string[]): Promise<number> {
  const { values } = flags('fit', argv, FIT_OPTIONS);
  const path = required('fit', values.config, 'config');
  const threads = threadsFlag(values.threads);
  const epochs = epochsFlag(values.epochs);
  const config = withOverrides(await loadRunConfig(path), {
    ...(values.seed !== undefined ? { seed: intFlag(values.seed, 'seed') as number } : {}),
    ...(values['data-dir'] !== undefined ? { dataDir: values['data-dir'] } : {}),
    ...(epochs !== undefined ? { epochs } : {}),
  });
  const outDir = resolve(values.out ?? join('runs', basename(path).replace(/\.(ya?ml|json)$/, '')));
  const outcome = await fitCommand(config, {
    ...(threads !== undefined ? { threads } : {}),
    outDir,
    json: values.json,
    resume: values.resume,
    saveOptimizerState: values['save-optimizer-state'],
    report: values.report,
    ...(values['warm-start'] !== undefined ? { warmStartDir: values['warm-start'] } : {}),
  });
  const r = outcome.refit;
  // Under train.refit, `validation` is the early-stopped model's and `test` the refitted final model's.
  const refit = r ? { epochs: r.epochs, rows: r.rows, steps: r.steps } : null;
  const skippedRows = outcome.data.fingerprint['skippedRows'] ?? null;
  const wait = waitOf([...outcome.result.history, ...(r?.history ?? [])]);
  const report = values.report ? join(outDir, RUN_PAGE_FILE) : null;
  const summary = { event: 'final', model: join(outDir, 'model'), record: join(outDir, RUN_RECORD_FILE), report, seconds: outcome.seconds, steps: outcome.result.steps, stoppedEarly: outcome.result.stoppedEarly, best: outcome.result.best, refit, skippedRows, wait, validation: outcome.validation, test: outcome.test };
  if (values.json) out(JSON.stringify(summary));
  else {
    const what = r ? ` (refitted on all ${r.rows} training rows for ${r.epochs} epochs)` : '';
    log(`model${what} written to ${join(outDir, 'model')} (${outcome.seconds.toFixed(1)}s); run record ${join(outDir, RUN_RECORD_FILE)}${report ? `, page ${report}` : ''}`);
    out(metricsTable('test', outcome.test));
  }
  await outcome.model.release();
  return 0;
}

/**
 * Seconds the epochs' step loops waited for their next batch, summed, and that share of the epochs' seconds:
 * whether data loading kept up with training. Epochs of a checkpoint written before the trainer timed the
 * wait have no waitSeconds and count as 0.
 */
export function waitOf(history: readonly EpochRecord[]): { seconds: number; fraction: number } {
  let seconds = 0;
  let total = 0;
  for (const e of history) {
    seconds += (e.waitSeconds as number | undefined) ?? 0;
    total += e.seconds;
  }
  return { seconds, fraction: total > 0 ? seconds / total : 0 };
}

/** A two-column table of metrics. */
export function metricsTable(title: string, m: Readonly<Record<string, number>>): string {
  const rows = Object.entries(m).filter(([, v]) => Number.isFinite(v));
  const w = Math.max(title.length, ...rows.map(([k]) => k.length));
  return [`${title.padEnd(w)}  value`, `${'-'.repeat(w)}  ------`, ...rows.map(([k, v]) => `${k.padEnd(w)}  ${Number.isInteger(v) ? v : v.toFixed(4)}`)].join('\n');
}
