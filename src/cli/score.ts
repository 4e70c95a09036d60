import type { RangeHooks, RunRanges } from '../score/local-pool.js';
import type { ScoreRangeJob, ScoreRangeResult } from '../score/range-job.js';
import type { ScoreProgress, ScoreSummary } from '../score/run.js';
import { randomBytes } from 'node:crypto';
import { WideDeepError } from '../core/errors.js';
import { availableCores } from '../runtime/cores.js';
import { runJobsOnQueue } from '../scale/submit.js';
import { localRanges } from '../score/local-pool.js';
import { scoreFile } from '../score/run.js';
import { skippedText } from '../train/run-data.js';
import { badRowFlag, flags, intFlag, log, makeDirOf, out, required, threadsFlag, warn } from './args.js';
import { SCORE_OPTIONS } from './options/score.js';

/** Progress lines on stderr at most this often. */
const PROGRESS_MS = 2000;

/**
 * `widedeep score`: scores a file of any size into one Parquet file whose rows equal `predict`'s, in input
 * order, with a row id (docs/SCALE.md). Exit 0 when every row was scored or skipped under --on-bad-row skip;
 * 2 when a row is bad (the error names file and row) and nothing was written.
 */
export async function score(argv: string[]): Promise<number> {
  const { values } = flags('score', argv, SCORE_OPTIONS);
  const model = required('score', values.model, 'model');
  const input = required('score', values.input, 'input');
  const output = required('score', values.out, 'out');
  const workers = positive(values.workers, 'workers') ?? 1;
  const threads = threadsFlag(values.threads);
  const memoryMb = positive(values['memory-mb'], 'memory-mb');
  const ranges = positive(values.ranges, 'ranges');
  const rangeMb = positive(values['range-mb'], 'range-mb');
  const queue = values.queue;
  const onBadRow = badRowFlag(values['on-bad-row']);
  const keep = values.keep === undefined ? [] : values.keep.split(',').map((k) => k.trim()).filter((k) => k !== '');
  // Local workers share the cores: each gets its share for ONNX Runtime and for its DuckDB (as `experiment --workers`).
  const share = queue === undefined && workers > 1 ? Math.max(1, Math.floor(availableCores() / workers)) : undefined;
  await makeDirOf(output);
  // Ctrl-C or SIGTERM stops the ranges and removes the run's work files before the process ends.
  const stop = new AbortController();
  const onSignal = (): void => stop.abort(new WideDeepError('RUNTIME', 'stopped by a signal: no output was written', { file: output, fix: 'run the command again' }));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const summary = await scoreFile({
    model,
    input,
    out: output,
    keep,
    ...(onBadRow !== undefined ? { onBadRow } : {}),
    ...(positive(values['batch-size'], 'batch-size') !== undefined ? { batchSize: positive(values['batch-size'], 'batch-size') as number } : {}),
    ...(ranges !== undefined ? { ranges } : {}),
    ...(rangeMb !== undefined ? { rangeBytes: rangeMb * (1 << 20) } : memoryMb !== undefined ? { rangeBytes: Math.max(1, Math.floor(memoryMb / 4)) << 20 } : {}),
    ...((threads ?? share) !== undefined ? { threads: (threads ?? share) as number } : {}),
    ...(share !== undefined ? { duckdbThreads: share } : {}),
    ...(memoryMb !== undefined ? { memoryMb } : {}),
    runRanges: queue !== undefined ? onQueue(queue) : localRanges(workers),
    onProgress: progressLog(values.json),
    signal: stop.signal,
  }).finally(() => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  });
  report(summary, input, values.json);
  return 0;
}

/** Runs the ranges as 'score-range' jobs on the queue; progress counts ranges as their results arrive. */
function onQueue(url: string): RunRanges {
  return (jobs: readonly ScoreRangeJob[], hooks: RangeHooks) => {
    const run = randomBytes(6).toString('hex');
    const items = jobs.map((data) => ({ id: `score-${run}-${data.index}`, data }));
    return runJobsOnQueue<ScoreRangeJob, ScoreRangeResult>(url, 'score-range', items, { onResult: (_id, r) => hooks.onDone?.(r), ...(hooks.signal !== undefined ? { signal: hooks.signal } : {}) });
  };
}

function progressLog(json: boolean): (p: ScoreProgress) => void {
  let last = performance.now();
  return (p) => {
    const now = performance.now();
    if (now - last < PROGRESS_MS && p.rangesDone < p.ranges) return;
    last = now;
    const rate = p.seconds > 0 ? p.rowsDone / p.seconds : 0;
    const eta = p.rowsTotal > 0 && rate > 0 ? Math.max(0, (p.rowsTotal - p.rowsDone) / rate) : null;
    if (json) log(JSON.stringify({ event: 'progress', rowsDone: p.rowsDone, rowsTotal: p.rowsTotal, rangesDone: p.rangesDone, ranges: p.ranges, rowsPerSec: Math.round(rate), etaSec: eta === null ? null : Math.round(eta) }));
    else log(`score: ranges ${p.rangesDone}/${p.ranges}  rows ${p.rowsDone}${p.rowsTotal > 0 ? `/${p.rowsTotal}` : ''}  ${Math.round(rate)} rows/s  ETA ${eta === null ? '?' : `${eta.toFixed(0)}s`}`);
  };
}

function report(s: ScoreSummary, input: string, json: boolean): void {
  if (s.rowsSkipped > 0) {
    const examples = s.skipped.map((k) => `row ${k.row}${k.field !== undefined ? `, field ${k.field}` : ''}${k.reason !== undefined ? `: ${k.reason.replace(`file ${input}, row ${k.row}, `, '').replace(`file ${input}, row ${k.row}: `, '')}` : ''}`);
    log(skippedText(input, s.rowsSkipped, examples));
  }
  if (!s.sameBatchesAsPredict) {
    warn('score', { message: 'rows the reader skipped moved the later ranges off predict\'s batch boundaries: their predictions may differ from predict\'s in the last bit', fix: 'correct the bad rows, or score with --ranges 1 for predict\'s exact values' }, json);
  }
  const rate = s.seconds > 0 ? Math.round(s.rowsScored / s.seconds) : 0;
  if (json) {
    const { skipped, perRange, ...rest } = s;
    out(JSON.stringify({ event: 'done', ...rest, rowsPerSec: rate, skipped, perRange }));
  } else log(`score: wrote ${s.rowsScored} rows to ${s.out} (${s.rowsSkipped} skipped) in ${s.seconds.toFixed(1)}s, ${rate} rows/s, ${s.ranges} ranges`);
}

function positive(value: string | undefined, flag: string): number | undefined {
  const n = intFlag(value, flag);
  if (n === undefined || n >= 1) return n;
  throw new WideDeepError('CONFIG', `--${flag} must be at least 1, got ${n}`, { field: `--${flag}` });
}
