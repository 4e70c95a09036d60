import type { ColumnValues, RowChunk } from '../data/index.js';
import type { FittedSpec } from '../features/fitted-spec.js';
import type { WideDeepModel } from '../model/wide-deep.js';
import type { RangeFile } from './range-file.js';
import type { RunRangeOptions, ScoreRangeJob, ScoreRangeResult, SkippedRow } from './range-job.js';
import { WideDeepError } from '../core/errors.js';
import { openTable, sliceRows, takeRows } from '../data/index.js';
import { applyDuckdbSettings } from './duckdb-settings.js';
import { transform, type TransformOptions } from '../features/transform.js';
import { modelBatchOf } from '../model/from-spec.js';
import { MAX_SKIPPED_EXAMPLES } from './range-job.js';
import { openRangeFile } from './range-file.js';
import { rangeModel } from './model-cache.js';
import { PartWriter, type PartColumn } from './part-writer.js';
import { outputColumns } from './columns.js';

/**
 * Runs one range job (see range-job.ts): the range's file is read in chunks of `batchSize` rows by the data
 * layer, with the whole file's column kinds and `predict`'s bad-row policy; each chunk is transformed and
 * scored as `predict` scores it, with its rows numbered as in the whole input, and appended to the part file.
 * Only one chunk of input rows is held at a time.
 */
export async function runRange(job: ScoreRangeJob, options: RunRangeOptions): Promise<ScoreRangeResult> {
  await applyDuckdbSettings(job.memoryMb, job.duckdbThreads);
  const { model, bundle } = await rangeModel(job.model, job.threads);
  const started = performance.now();
  const columns: PartColumn[] = [...outputColumns(bundle.spec, model.outputs).map((name) => ({ name, kind: 'prediction' as const })), ...job.keep.map((name) => ({ name, kind: job.input.kinds[name] ?? 'categorical' }))];
  const file = await openRangeFile(job);
  const copied = performance.now();
  const skipped: SkippedRow[] = []; // the transform's (the reader keeps its own examples)
  let writer: PartWriter | undefined;
  try {
    writer = await PartWriter.open(job.part, columns);
    const reader = await openTable({
      path: file.path,
      chunkSize: job.batchSize,
      onBadRow: job.onBadRow ?? 'error',
      stringColumns: job.input.stringColumns,
      columns: job.input.kinds,
    });
    const counts = { transformSkipped: 0 };
    const transformOptions: TransformOptions = { mode: 'serve', ...(job.onBadRow !== undefined ? { onBadRow: job.onBadRow } : {}) };
    for await (const read of reader.chunks()) {
      if (options.signal?.aborted === true) throw options.signal.reason;
      const chunk = asInput(read, job.input.path, file.rowShift);
      const scored = await scoreChunk(model, bundle.spec, chunk, transformOptions);
      writer.append({ rowIds: Float64Array.from(scored.rowNumbers, (r) => r - file.firstDataRow), prediction: scored.prediction, kept: keptValues(chunk, scored.rowNumbers, job.keep) });
      counts.transformSkipped += scored.skippedRowNumbers.length;
      scored.skippedRowNumbers.forEach((row, i) => addSkip(skipped, { rowId: row - file.firstDataRow, row, ...(i === 0 && scored.firstSkipReason !== null ? { reason: scored.firstSkipReason } : {}) }));
      options.onProgress?.(reader.summary.rowsRead + reader.summary.rowsSkipped);
    }
    for (const b of reader.summary.badRows) {
      const row = b.row + file.rowShift;
      skipped.push({ rowId: row - file.firstDataRow, row, ...(b.field !== undefined ? { field: b.field } : {}), reason: b.reason });
    }
    const scoredAt = performance.now();
    await writer.finish();
    const done = performance.now();
    return {
      index: job.index,
      part: job.part,
      rowsWritten: writer.rowsWritten,
      rowsRead: reader.summary.rowsRead,
      rowsSkipped: reader.summary.rowsSkipped + counts.transformSkipped,
      skipped: skipped.sort((a, b) => a.row - b.row).slice(0, MAX_SKIPPED_EXAMPLES),
      seconds: (done - started) / 1000,
      copySeconds: (copied - started) / 1000,
      scoreSeconds: (scoredAt - copied) / 1000,
    };
  } catch (e) {
    await writer?.close();
    throw inInput(e, file, job.input.path, job.memoryMb);
  } finally {
    await file.remove();
  }
}

interface Scored {
  readonly rowNumbers: Int32Array;
  readonly prediction: Float32Array;
  readonly skippedRowNumbers: Int32Array;
  readonly firstSkipReason: string | null;
}

/**
 * Transforms and scores a chunk as `predict` does. When the transform or the model refuses a row, the error
 * of the first bad row is thrown: the rows before the named one are tried again, since one check may name a
 * later row than another.
 */
async function scoreChunk(model: WideDeepModel, spec: FittedSpec, chunk: RowChunk, options: TransformOptions): Promise<Scored> {
  let end = chunk.numRows;
  let error: unknown;
  while (end > 0) {
    try {
      const part = end === chunk.numRows ? chunk : sliceRows(chunk, 0, end);
      const fb = transform(spec, part, options);
      const p = await model.predict(modelBatchOf(fb));
      if (error !== undefined) throw error;
      return { rowNumbers: fb.rowNumbers, prediction: p.prediction, skippedRowNumbers: fb.skippedRowNumbers, firstSkipReason: fb.firstSkipReason };
    } catch (err) {
      if (err === error) throw err;
      const k = rowIndex(err, chunk);
      if (k < 0 || k >= end) throw err;
      error = err;
      end = k;
    }
  }
  throw error;
}

/** The index in `chunk` of the row an error names, or -1 when it names none of the chunk's rows. */
function rowIndex(err: unknown, chunk: RowChunk): number {
  if (!(err instanceof WideDeepError) || err.details.row === undefined || err.details.file !== chunk.source) return -1;
  return chunk.rowNumbers.indexOf(err.details.row);
}

/** A chunk of the range file as rows of the input: its path, and row numbers shifted to the input's. */
function asInput(chunk: RowChunk, input: string, shift: number): RowChunk {
  if (shift === 0 && chunk.source === input) return chunk;
  const rowNumbers = shift === 0 ? chunk.rowNumbers : chunk.rowNumbers.map((r) => r + shift);
  return { numRows: chunk.numRows, columns: chunk.columns, source: input, rowNumbers };
}

/** The kept columns' values of the rows that were scored (`scored`: their row numbers, in chunk order). */
function keptValues(chunk: RowChunk, scored: Int32Array, keep: readonly string[]): ColumnValues[] {
  if (keep.length === 0) return [];
  let rows = chunk;
  if (scored.length !== chunk.numRows) {
    const at = new Int32Array(scored.length);
    for (let i = 0, j = 0; i < scored.length; i++) {
      while (chunk.rowNumbers[j] !== scored[i]) j++;
      at[i] = j;
    }
    rows = takeRows(chunk, at);
  }
  return keep.map((name) => rows.columns.get(name) as ColumnValues);
}

function addSkip(list: SkippedRow[], s: SkippedRow): void {
  if (list.length < MAX_SKIPPED_EXAMPLES) list.push(s);
}

/**
 * An error about the range file as one about the input (its path, and the row number the input gives the
 * row); DuckDB running out of its memory limit gets the fix that applies (the reader's fix is about the file).
 */
function inInput(e: unknown, file: RangeFile, input: string, memoryMb: number | undefined): unknown {
  if (!(e instanceof WideDeepError) || e.details.file !== file.path) return e;
  const row = e.details.row !== undefined ? { row: e.details.row + file.rowShift } : {};
  // Under a tight memory_limit DuckDB may also end a CSV scan early without an error (the reader's completeness check catches it).
  const starved = /Out of Memory Error/.test(e.reason) || (memoryMb !== undefined && e.reason.startsWith('the reader stopped at this row without an error'));
  const oom = starved ? { fix: `raise --memory-mb${memoryMb !== undefined ? ` (${memoryMb} now)` : ''}, or lower --range-mb: DuckDB reads a CSV in blocks of about 32 MB a thread and holds a range's outputs` } : {};
  if (file.path === input && !('fix' in oom)) return e;
  return new WideDeepError(e.code, e.reason.replaceAll(file.path, input), { ...e.details, file: input, ...row, ...oom }, { cause: e });
}
