import { createInterface } from 'node:readline';
import { loadBundle } from '../artifact/bundle.js';
import { WideDeepError } from '../core/errors.js';
import { openTable, sliceRows, takeRows, type BadRowPolicy, type ReadSummary } from '../data/index.js';
import type { RowChunk } from '../data/types.js';
import { inputColumns, numericInputs, stringColumns } from '../features/checks.js';
import { knownColumns } from '../features/labels.js';
import { transform, type TransformOptions } from '../features/transform.js';
import { explainRows, predictionRows } from '../model/explain.js';
import { modelBatchOf } from '../model/from-spec.js';
import type { WideDeepModel } from '../model/wide-deep.js';
import type { FittedSpec } from '../features/fitted-spec.js';
import { badRowFlag, flags, intFlag, log, out, required, threadsFlag, warn } from './args.js';
import { jsonLineChunks } from './json-lines.js';
import { badRowText, skippedText } from '../train/run-data.js';
import { PREDICT_OPTIONS } from './options/predict.js';

/** Exit code of a run that wrote the predictions of the rows before a failure, then stopped (stderr says why). */
export const PARTIAL_OUTPUT = 3;

/** What a run has scored so far, and the rows the transform left out (under onBadRow: 'skip'). */
export interface PredictProgress {
  scored: number;
  transformSkipped: number;
  /** The first skipped row, per chunk that skipped any: its number and the error that left it out. */
  readonly transformFirst: { readonly row: number; readonly message: string }[];
}

export interface WritePredictionsOptions {
  readonly explain: boolean;
  readonly topK: number;
  /** The transform's bad-row policy; default the spec's. */
  readonly onBadRow?: BadRowPolicy;
  readonly progress: PredictProgress;
}

/**
 * Scores rows and writes one JSON line per row: the prediction, and with --explain its breakdown. When the
 * transform or the model refuses a row, the rows of its chunk before it are scored and written, then the error
 * is thrown: every row before the first bad one has its line.
 */
export async function writePredictions(model: WideDeepModel, spec: FittedSpec, chunks: AsyncIterable<RowChunk>, o: WritePredictionsOptions): Promise<void> {
  const options: TransformOptions = { mode: 'serve', ...(o.onBadRow !== undefined ? { onBadRow: o.onBadRow } : {}) };
  for await (const chunk of chunks) {
    let end = chunk.numRows;
    let error: unknown;
    let scored: Scored | null = null;
    while (end > 0 && scored === null) {
      try {
        scored = await score(model, spec, end === chunk.numRows ? chunk : sliceRows(chunk, 0, end), options, o);
      } catch (err) {
        const k = rowIndex(err, chunk);
        if (k < 0 || k >= end) throw err;
        // One check may name a later row than another: try again on the rows before this one.
        error = err;
        end = k;
      }
    }
    if (scored !== null) {
      for (const line of scored.lines) out(line);
      o.progress.scored += scored.lines.length;
      o.progress.transformSkipped += scored.skipped;
      if (scored.firstSkip !== null) o.progress.transformFirst.push(scored.firstSkip);
    }
    if (error !== undefined) throw error;
  }
}

/** The rows of `chunk` that became examples (row numbers `kept`, in order): the chunk itself when none was skipped. */
function rowsOfBatch(chunk: RowChunk, kept: Int32Array): RowChunk {
  if (kept.length === chunk.numRows) return chunk;
  const at = new Map(Array.from(chunk.rowNumbers, (r, i) => [r, i]));
  return takeRows(chunk, Int32Array.from(kept, (r) => at.get(r) as number));
}

interface Scored {
  /** One JSON line per scored row. */
  readonly lines: string[];
  /** Rows the transform left out, and the first of them. */
  readonly skipped: number;
  readonly firstSkip: { readonly row: number; readonly message: string } | null;
}

async function score(model: WideDeepModel, spec: FittedSpec, chunk: RowChunk, options: TransformOptions, o: WritePredictionsOptions): Promise<Scored> {
  const fb = transform(spec, chunk, options);
  const batch = modelBatchOf(fb);
  let lines: string[];
  if (o.explain) {
    const ex = await explainRows(model, spec, batch, o.topK, rowsOfBatch(chunk, fb.rowNumbers));
    lines = ex.map((e, i) => JSON.stringify({ row: fb.rowNumbers[i], ...e }));
  } else {
    const p = await model.predict(batch);
    lines = predictionRows(p.prediction, batch.size, model.outputs).map((prediction, i) => JSON.stringify({ row: fb.rowNumbers[i], prediction }));
  }
  const row = fb.skippedRowNumbers[0];
  const firstSkip = row !== undefined && fb.firstSkipReason !== null ? { row, message: fb.firstSkipReason } : null;
  return { lines, skipped: fb.skippedRows, firstSkip };
}

/** The index in `chunk` of the row an error names, or -1 when it names none of the chunk's rows. */
function rowIndex(err: unknown, chunk: RowChunk): number {
  if (!(err instanceof WideDeepError) || err.details.row === undefined || err.details.file !== chunk.source) return -1;
  return chunk.rowNumbers.indexOf(err.details.row);
}

/**
 * `widedeep predict`: exit 0 when every row was scored (or skipped under --on-bad-row skip); 2 when it
 * stopped before writing any prediction; PARTIAL_OUTPUT when it wrote the predictions of the rows before a
 * bad row (or another failure) and then stopped.
 */
export async function predict(argv: string[]): Promise<number> {
  const { values } = flags('predict', argv, PREDICT_OPTIONS);
  const dir = required('predict', values.model, 'model');
  const input = required('predict', values.input, 'input');
  const size = intFlag(values['batch-size'], 'batch-size') ?? 1024;
  if (values['top-k'] !== undefined && !values.explain) {
    throw new WideDeepError('CONFIG', '--top-k sets how many wide terms --explain lists, and --explain is not given', { field: '--top-k', fix: 'add --explain, or leave --top-k out' });
  }
  const topK = intFlag(values['top-k'], 'top-k') ?? 5;
  const onBadRow = badRowFlag(values['on-bad-row']);
  const policy = onBadRow ?? 'error';
  const threads = threadsFlag(values.threads);
  const { model, bundle } = await loadBundle(dir, threads !== undefined ? { threads } : {});
  const progress: PredictProgress = { scored: 0, transformSkipped: 0, transformFirst: [] };
  let summary = (): ReadSummary => ({ source: input === '-' ? 'stdin' : input, rowsRead: 0, rowsSkipped: 0, badRows: [] });
  try {
    let chunks: AsyncIterable<RowChunk>;
    if (input === '-') {
      // JSON rows may leave a column out (missing, as `widedeep serve` takes it); a file must have every column.
      const read = summary();
      summary = () => read;
      const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
      const columns = inputColumns(bundle.spec);
      // As `serve` lists them in ignoredColumns: the label and weight columns aside, keys no feature reads.
      const known = knownColumns(bundle.spec);
      const onIgnored = (keys: readonly string[], row: number): void => warn('predict', { message: `ignored columns the model does not read: ${keys.join(', ')} (first at row ${row})`, fix: `the model reads ${columns.join(', ')}` });
      const options = { source: 'stdin', chunkSize: size, columns, numeric: numericInputs(bundle.spec), onBadRow: policy, known, onIgnored };
      chunks = jsonLineChunks(lines, options, read);
    } else {
      const reader = await openTable({ path: input, chunkSize: size, onBadRow: policy, stringColumns: stringColumns(bundle.spec) });
      summary = () => reader.summary;
      chunks = reader.chunks();
    }
    await writePredictions(model, bundle.spec, chunks, { explain: values.explain, topK, ...(onBadRow !== undefined ? { onBadRow } : {}), progress });
  } catch (err) {
    logSkipped(summary(), progress);
    if (progress.scored === 0 || !(err instanceof WideDeepError)) throw err;
    log(`widedeep predict: ${err.message}`);
    log(`widedeep predict: stopped after ${plural(progress.scored, 'prediction')}: the output is partial (exit ${PARTIAL_OUTPUT})`);
    return PARTIAL_OUTPUT;
  } finally {
    // A run that stopped early must not wait for the writer to close stdin.
    if (input === '-') process.stdin.destroy();
    await model.release();
  }
  logSkipped(summary(), progress);
  return 0;
}

/** One stderr line for the rows left out, e.g. "skipped 3 bad rows in stdin (first: row 7: ...)"; none when none was. */
function logSkipped(read: ReadSummary, p: PredictProgress): void {
  const count = read.rowsSkipped + p.transformSkipped;
  if (count === 0) return;
  const prefix = `file ${read.source}, `;
  const examples = [
    ...read.badRows.map((b) => ({ row: b.row, text: badRowText(b) })),
    // The transform's message names the file and row: "file stdin, row 7, field age: ..."
    ...p.transformFirst.map((t) => ({ row: t.row, text: t.message.startsWith(prefix) ? t.message.slice(prefix.length) : t.message })),
  ].sort((a, b) => a.row - b.row);
  log(skippedText(read.source, count, examples.map((e) => e.text)));
}

const plural = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? '' : 's'}`;
