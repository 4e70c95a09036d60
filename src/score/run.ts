import { mkdtemp, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { BadRowPolicy } from '../data/index.js';
import type { RunRanges } from './local-pool.js';
import type { ScoreRangeResult, SkippedRow } from './range-job.js';
import { assembleParts } from './assemble.js';
import { applyDuckdbSettings } from './duckdb-settings.js';
import { MAX_SKIPPED_EXAMPLES } from './range-job.js';
import { planScore } from './plan.js';
import { DEFAULT_RANGE_BYTES } from './defaults.js';

/** A scoring run: the files, how to cut the input, and what runs the ranges. */
export interface ScoreFileOptions {
  readonly model: string;
  readonly input: string;
  /** The output Parquet file (replaced atomically; a failed run leaves it as it was). */
  readonly out: string;
  readonly keep?: readonly string[];
  readonly onBadRow?: BadRowPolicy;
  /** Rows per model call. Default 1024 (as `predict`). */
  readonly batchSize?: number;
  /** About this many ranges; default ranges of `rangeBytes`. */
  readonly ranges?: number;
  /** Default 64 MiB. */
  readonly rangeBytes?: number;
  readonly threads?: number;
  readonly memoryMb?: number;
  readonly duckdbThreads?: number;
  readonly runRanges: RunRanges;
  readonly onProgress?: (p: ScoreProgress) => void;
  /** Stops the run (Ctrl-C): the ranges stop, the work directory is removed, the output is not written. */
  readonly signal?: AbortSignal;
}

/** Where a run stands. */
export interface ScoreProgress {
  readonly rowsDone: number;
  /** Data rows of the input (text: records after the header, blank lines included; 0 when not known). */
  readonly rowsTotal: number;
  readonly rangesDone: number;
  readonly ranges: number;
  readonly seconds: number;
}

/** What a finished run did. */
export interface ScoreSummary {
  readonly out: string;
  readonly rowsScored: number;
  readonly rowsSkipped: number;
  /** The first skipped rows, in row order. */
  readonly skipped: readonly SkippedRow[];
  readonly ranges: number;
  readonly bytes: number;
  readonly columns: readonly string[];
  /**
   * Whether every range started on one of `predict`'s batch boundaries, which makes every prediction equal
   * `predict`'s bit for bit. False only when the reader skipped rows (--on-bad-row skip) before the last range:
   * the ranges after such a row start off the boundaries, and the last rows of their batches may differ from
   * `predict`'s in the last bit (ONNX Runtime's matrix kernels round a batch's tail rows their own way).
   */
  readonly sameBatchesAsPredict: boolean;
  readonly seconds: number;
  readonly planSeconds: number;
  readonly assembleSeconds: number;
  /** Per range: rows written, rows skipped and seconds (copy, score, total). */
  readonly perRange: readonly { readonly index: number; readonly rows: number; readonly skipped: number; readonly copySeconds: number; readonly scoreSeconds: number; readonly seconds: number }[];
}

/**
 * Scores a file larger than memory: plans ranges (plan.ts), runs them through `runRanges` (each writes a part
 * file in a work directory beside the output), then concatenates the parts in input order into `out`. The work
 * directory (parts and range copies) is removed however the run ends; `out` is written only when every range
 * succeeded.
 */
export async function scoreFile(o: ScoreFileOptions): Promise<ScoreSummary> {
  const started = performance.now();
  const out = resolve(o.out);
  await applyDuckdbSettings(o.memoryMb, o.duckdbThreads);
  const workDir = await mkdtemp(join(dirname(out), `.${basename(out)}.parts-`));
  try {
    const plan = await planScore({
      model: resolve(o.model),
      input: resolve(o.input),
      keep: o.keep ?? [],
      ...(o.onBadRow !== undefined ? { onBadRow: o.onBadRow } : {}),
      batchSize: o.batchSize ?? 1024,
      ...(o.ranges !== undefined ? { ranges: o.ranges } : {}),
      rangeBytes: o.rangeBytes ?? DEFAULT_RANGE_BYTES,
      workDir,
      ...(o.threads !== undefined ? { threads: o.threads } : {}),
      ...(o.memoryMb !== undefined ? { memoryMb: o.memoryMb } : {}),
      ...(o.duckdbThreads !== undefined ? { duckdbThreads: o.duckdbThreads } : {}),
    });
    const planned = performance.now();
    const rows = new Map<number, number>();
    let rangesDone = 0;
    const report = (): void => {
      let done = 0;
      for (const n of rows.values()) done += n;
      o.onProgress?.({ rowsDone: done, rowsTotal: plan.rows, rangesDone, ranges: plan.jobs.length, seconds: (performance.now() - started) / 1000 });
    };
    const results = await o.runRanges(plan.jobs, {
      ...(o.signal !== undefined ? { signal: o.signal } : {}),
      onRows: (index, n) => {
        rows.set(index, n);
        report();
      },
      onDone: (r) => {
        rows.set(r.index, r.rowsWritten + r.rowsSkipped);
        rangesDone += 1;
        report();
      },
    });
    const scored = performance.now();
    await assembleParts(results.map((r) => r.part), out);
    const done = performance.now();
    return summaryOf(results, {
      out,
      sameBatchesAsPredict: aligned(results, o.batchSize ?? 1024),
      bytes: plan.bytes,
      columns: plan.columns,
      seconds: (done - started) / 1000,
      planSeconds: (planned - started) / 1000,
      assembleSeconds: (done - scored) / 1000,
    });
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

/** Whether each range started after a multiple of `batch` rows read (what the plan cut for, unless the reader skipped rows). */
function aligned(results: readonly ScoreRangeResult[], batch: number): boolean {
  let before = 0;
  for (const r of results) {
    if (before % batch !== 0) return false;
    before += r.rowsRead;
  }
  return true;
}

function summaryOf(results: readonly ScoreRangeResult[], base: Pick<ScoreSummary, 'out' | 'bytes' | 'columns' | 'sameBatchesAsPredict' | 'seconds' | 'planSeconds' | 'assembleSeconds'>): ScoreSummary {
  const skipped = results.flatMap((r) => r.skipped).slice(0, MAX_SKIPPED_EXAMPLES);
  return {
    ...base,
    rowsScored: results.reduce((a, r) => a + r.rowsWritten, 0),
    rowsSkipped: results.reduce((a, r) => a + r.rowsSkipped, 0),
    skipped,
    ranges: results.length,
    perRange: results.map((r) => ({ index: r.index, rows: r.rowsWritten, skipped: r.rowsSkipped, copySeconds: r.copySeconds, scoreSeconds: r.scoreSeconds, seconds: r.seconds })),
  };
}
