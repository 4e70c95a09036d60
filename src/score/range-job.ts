import type { BadRowPolicy, ColumnKind, FileFormat } from '../data/index.js';
import { WideDeepError } from '../core/errors.js';
import { runRange } from './run-range.js';

/**
 * One range of a `widedeep score` run as plain JSON: what a local worker thread or a queue worker
 * (`widedeep worker`, job name 'score-range') needs to score a slice of the input on its own and write the
 * slice's part file. Every path is absolute and must be the same on every machine that runs jobs (a shared
 * filesystem). The coordinator (score/run.ts) plans the ranges; `runScoreRange` runs one.
 */
export interface ScoreRangeJob {
  /** Format version of this job (bumped when a field changes meaning). */
  readonly version: 1;
  /** Position of the range in the input (0-based); the part files are concatenated in this order. */
  readonly index: number;
  /** The model bundle directory (as `widedeep predict --model` takes it). */
  readonly model: string;
  /** ONNX Runtime intra-op threads for the model; absent: the house rule (`loadBundle`'s default). */
  readonly threads?: number;
  readonly input: RangeInput;
  readonly range: TextRange | ParquetRange;
  /** The part file to write (Parquet): row_id, the prediction column(s), then the kept columns. */
  readonly part: string;
  /** A directory this job may write its temporary range file into (removed before the job returns). */
  readonly tempDir: string;
  /** Input columns carried into the output after the predictions, in this order. */
  readonly keep: readonly string[];
  /**
   * The reader's and the transform's bad-row policy (as `predict --on-bad-row`); absent: as `predict` without
   * the flag (the reader stops at a bad row, the transform follows the bundle's spec).
   */
  readonly onBadRow?: BadRowPolicy;
  /** Rows scored per model call (as `predict --batch-size`). */
  readonly batchSize: number;
  /** DuckDB memory_limit of the thread or process running the job, in MiB; absent: DuckDB's default. */
  readonly memoryMb?: number;
  /** DuckDB threads of the thread or process running the job; absent: DuckDB's default (every core). */
  readonly duckdbThreads?: number;
}

/** The whole input file, and how every range of it is read (the kinds fixed once, from the whole file). */
export interface RangeInput {
  readonly path: string;
  readonly format: FileFormat;
  /** Column name -> kind, as the reader planned the whole file (each range is read with these kinds). */
  readonly kinds: Readonly<Record<string, ColumnKind>>;
  /** Columns the bundle's spec reads as strings (as `predict` passes them to the reader). */
  readonly stringColumns: readonly string[];
}

/**
 * A byte range of a text file (CSV or JSON lines), cut at record starts (quote-aware). The file's head (lines
 * before the first data record: skipped lines and the header) is bytes [0, headBytes) and is read with every
 * range, so a range reads exactly like the whole file would from its first record on.
 */
export interface TextRange {
  readonly kind: 'bytes';
  readonly headBytes: number;
  /** Bytes [start, end) of the file; start is a record start, end is a record start or the file's size. */
  readonly start: number;
  readonly end: number;
  /** 1-based record number of the record at `start` in the whole file (what `predict` calls its row). */
  readonly firstRecord: number;
  /** Record number of the file's first data record (`predict`'s row number of row_id 0). */
  readonly dataFirstRecord: number;
  /** Data rows (non-blank records) before `start`: a multiple of the batch size (see plan.ts). */
  readonly rowsBefore: number;
}

/**
 * Rows [firstRow, firstRow + rows) (0-based) of a Parquet file, in row groups [firstGroup, firstGroup + groups):
 * cut at row group ends where those fall on a multiple of the batch size, else at the multiple before.
 */
export interface ParquetRange {
  readonly kind: 'row-groups';
  readonly firstGroup: number;
  readonly groups: number;
  readonly firstRow: number;
  readonly rows: number;
}

/**
 * A row left out under onBadRow 'skip': its row id, `predict`'s row number for it, and why (the transform
 * gives the reason of the first row it leaves out of a batch only; the reader gives every row's).
 */
export interface SkippedRow {
  readonly rowId: number;
  readonly row: number;
  readonly field?: string;
  readonly reason?: string;
}

/** What one range job did. */
export interface ScoreRangeResult {
  readonly index: number;
  /** The part file written (= job.part). */
  readonly part: string;
  /** Rows scored and written to the part file. */
  readonly rowsWritten: number;
  /** Rows the reader gave (before the transform left any out). */
  readonly rowsRead: number;
  /** Rows left out under onBadRow 'skip' (by the reader or the transform). */
  readonly rowsSkipped: number;
  /** The first skipped rows (at most MAX_SKIPPED_EXAMPLES), in row order. */
  readonly skipped: readonly SkippedRow[];
  /** Wall-clock seconds of the job (its model loaded), and of its parts: copying the range out, reading + scoring. */
  readonly seconds: number;
  readonly copySeconds: number;
  readonly scoreSeconds: number;
}

export const MAX_SKIPPED_EXAMPLES = 100;

/** How a caller follows a job: `onProgress` receives the rows scored so far (read and skipped included). */
export interface RunRangeOptions {
  readonly onProgress?: (rowsDone: number) => void;
  readonly signal?: AbortSignal;
}

/**
 * Scores one range and writes its part file. Throws a WideDeepError naming the input file and its row (as
 * `predict` would) when a row is bad under onBadRow 'error'; a failed job leaves no part file.
 */
export function runScoreRange(job: ScoreRangeJob, options: RunRangeOptions = {}): Promise<ScoreRangeResult> {
  return runRange(checkJob(job), options);
}

/** Checks that a job received from a queue is a ScoreRangeJob this version runs (the rest is trusted: our own coordinator wrote it). */
export function checkJob(job: ScoreRangeJob): ScoreRangeJob {
  const j = job as Partial<ScoreRangeJob> | null;
  if (j === null || typeof j !== 'object' || j.version !== 1 || typeof j.part !== 'string' || typeof j.model !== 'string' || j.input === undefined || j.range === undefined) {
    throw new WideDeepError('CONFIG', 'not a score-range job of version 1', { field: 'job', fix: 'run `widedeep worker` and `widedeep score` from the same widedeep version' });
  }
  return job;
}
