import type { RowChunk } from '../data/types.js';
import { takeRows } from '../data/chunk.js';
import { shuffleBuffer } from '../data/shuffle.js';
import { isTestRow } from '../data/splits.js';
import type { FittedSpec } from '../features/fitted-spec.js';
import { transform } from '../features/transform.js';
import { concatModelBatches, modelBatchOf, sliceModelBatch } from '../model/from-spec.js';
import type { ModelBatch } from '../model/sizes.js';
import { fixedWidthSpec, shuffleExamples, type ExampleShuffleOptions } from './example-shuffle.js';

/**
 * The passes of stream mode over the chunks of one scan, as pure pipelines: what a row is used for (`rowPart`),
 * the fit pass (parts split and counted), an epoch (training rows -> shuffle -> transform -> batches of
 * exactly batchSize) and the test pass (test rows -> transform). A stream worker (stream-worker.ts) runs them
 * next to its scan, so the main thread only trains; they take plain data (`Pass`), which is what is posted.
 */

/** What a row of the training file is used for. */
export type RowPart = 'train' | 'validation' | 'test';

/** How rows of the training file are held out. */
export interface HoldOut {
  readonly seed: number;
  /** Share of the file held out as test (0 when a separate test file is given). */
  readonly testFraction: number;
  /** Share of the remaining rows held out for validation. */
  readonly validationFraction: number;
}

/**
 * The part of one row, from a seeded hash of its source row number: test with probability testFraction
 * (seeded by `seed`), then validation among the other rows with probability validationFraction (seeded by
 * seed + 1), as the memory path splits test with the seed and validation with seed + 1. The same row gets
 * the same part in every pass and every epoch, and the parts are disjoint by construction.
 */
export function rowPart(rowNumber: number, h: HoldOut): RowPart {
  if (h.testFraction > 0 && isTestRow(rowNumber, h.testFraction, h.seed)) return 'test';
  if (h.validationFraction > 0 && isTestRow(rowNumber, h.validationFraction, h.seed + 1)) return 'validation';
  return 'train';
}

/** The rows of `part` in a chunk, in order (the chunk itself when all its rows are; null when none is). */
export function rowsOfPart(chunk: RowChunk, part: RowPart, h: HoldOut): RowChunk | null {
  const keep = new Int32Array(chunk.numRows);
  let n = 0;
  for (let i = 0; i < chunk.numRows; i++) if (rowPart(chunk.rowNumbers[i] as number, h) === part) keep[n++] = i;
  if (n === chunk.numRows) return chunk;
  return n === 0 ? null : takeRows(chunk, keep.subarray(0, n));
}

const PARTS: readonly RowPart[] = ['train', 'validation', 'test'];

/** A chunk's rows by part, each in order (the chunk itself for a part that has all its rows; null for none). */
export function splitParts(chunk: RowChunk, h: HoldOut): Record<RowPart, RowChunk | null> {
  const out: Record<RowPart, RowChunk | null> = { train: null, validation: null, test: null };
  if (h.testFraction === 0 && h.validationFraction === 0) return { ...out, train: chunk.numRows > 0 ? chunk : null };
  const parts = PARTS.map(() => new Int32Array(chunk.numRows));
  const counts = [0, 0, 0];
  for (let i = 0; i < chunk.numRows; i++) {
    const p = PARTS.indexOf(rowPart(chunk.rowNumbers[i] as number, h));
    (parts[p] as Int32Array)[(counts[p] as number)++] = i;
  }
  PARTS.forEach((part, p) => {
    const n = counts[p] as number;
    out[part] = n === chunk.numRows ? chunk : n === 0 ? null : takeRows(chunk, (parts[p] as Int32Array).subarray(0, n));
  });
  return out;
}

/** A pass over the training (or test) file, as plain data: what a stream worker is asked to run. */
export type Pass =
  | { readonly kind: 'fit'; readonly holdOut: HoldOut; readonly maxValidationRows: number }
  | { readonly kind: 'epoch'; readonly holdOut: HoldOut; readonly spec: FittedSpec; readonly shuffle: ExampleShuffleOptions; readonly batchSize: number }
  | { readonly kind: 'test'; readonly holdOut: HoldOut | null; readonly spec: FittedSpec };

/** One chunk of the fit pass: its training rows, its validation rows while under the cap, and every part's count. */
export interface FitItem {
  readonly train: RowChunk | null;
  readonly validation: RowChunk | null;
  readonly counts: Readonly<Record<RowPart, number>>;
}

/** The fit pass: each chunk split by part; validation rows are passed on up to `maxValidationRows` in all. */
export async function* fitItems(chunks: AsyncIterable<RowChunk>, holdOut: HoldOut, maxValidationRows: number): AsyncGenerator<FitItem, void, undefined> {
  let kept = 0;
  for await (const chunk of chunks) {
    const { train, validation: v, test } = splitParts(chunk, holdOut);
    const counts = { train: train?.numRows ?? 0, validation: v?.numRows ?? 0, test: test?.numRows ?? 0 };
    let validation: RowChunk | null = null;
    if (v !== null && kept < maxValidationRows) {
      const take = Math.min(v.numRows, maxValidationRows - kept);
      validation = take === v.numRows ? v : takeRows(v, Int32Array.from({ length: take }, (_, i) => i));
      kept += take;
    }
    yield { train, validation, counts };
  }
}

/** The training rows of a scan, in file order (held-out rows dropped). */
export async function* trainingRows(chunks: AsyncIterable<RowChunk>, holdOut: HoldOut): AsyncGenerator<RowChunk, void, undefined> {
  for await (const chunk of chunks) {
    const t = rowsOfPart(chunk, 'train', holdOut);
    if (t !== null) yield t;
  }
}

/**
 * One epoch's training batches from a scan of the training file: the training rows, shuffled by a buffer of
 * `shuffle.bufferSize` seeded by `shuffle.seed`, transformed, and cut into batches of exactly `batchSize`
 * (`exactBatches`). With a fixed-width spec (one id per sparse key) the rows are transformed as they are read
 * and the buffer holds encoded examples (example-shuffle.ts: the same order, at a fraction of the memory and
 * time); otherwise the buffer holds the raw rows (`shuffleBuffer`), transformed as they leave it.
 */
export function epochBatches(spec: FittedSpec, chunks: AsyncIterable<RowChunk>, o: { readonly holdOut: HoldOut; readonly shuffle: ExampleShuffleOptions; readonly batchSize: number }): AsyncGenerator<ModelBatch, void, undefined> {
  const rows = trainingRows(chunks, o.holdOut);
  const examples = fixedWidthSpec(spec) ? shuffleExamples(transformed(spec, rows), o.shuffle) : transformed(spec, shuffleBuffer(rows, o.shuffle));
  return exactBatches(examples, o.batchSize);
}

/** One chunk of the test pass: its test rows transformed (null when none is left), read and skipped by the transform. */
export interface TestItem {
  readonly batch: ModelBatch | null;
  readonly read: number;
  readonly skipped: number;
}

/** The test pass: the test rows of each chunk (every row of a test file: `holdOut` null), transformed. */
export async function* testItems(spec: FittedSpec, chunks: AsyncIterable<RowChunk>, holdOut: HoldOut | null): AsyncGenerator<TestItem, void, undefined> {
  for await (const chunk of chunks) {
    const rows = holdOut === null ? chunk : rowsOfPart(chunk, 'test', holdOut);
    if (rows === null) continue;
    const fb = transform(spec, rows);
    yield { batch: fb.batchSize > 0 ? modelBatchOf(fb) : null, read: rows.numRows, skipped: fb.skippedRows };
  }
}

/** Each chunk transformed into one model batch (rows the spec skips under onBadRow: 'skip' left out). */
export async function* transformed(spec: FittedSpec, chunks: AsyncIterable<RowChunk>): AsyncGenerator<ModelBatch, void, undefined> {
  for await (const chunk of chunks) {
    const fb = transform(spec, chunk);
    if (fb.batchSize > 0) yield modelBatchOf(fb);
  }
}

/**
 * Re-cuts a stream of model batches of any sizes into batches of exactly `batchSize` examples, in order:
 * a remainder is carried into the next batch, and only the last batch may be smaller.
 */
export async function* exactBatches(parts: AsyncIterable<ModelBatch> | Iterable<ModelBatch>, batchSize: number): AsyncGenerator<ModelBatch, void, undefined> {
  let pending: ModelBatch[] = [];
  let pendingSize = 0;
  for await (const b of parts) {
    if (b.size === 0) continue;
    let at = 0;
    if (pendingSize > 0) {
      const need = batchSize - pendingSize;
      if (b.size < need) {
        pending.push(b);
        pendingSize += b.size;
        continue;
      }
      yield concatModelBatches([...pending, need === b.size ? b : sliceModelBatch(b, 0, need)]);
      pending = [];
      pendingSize = 0;
      at = need;
    }
    if (at === 0 && b.size === batchSize) {
      yield b;
      continue;
    }
    for (; at + batchSize <= b.size; at += batchSize) yield sliceModelBatch(b, at, at + batchSize);
    if (at < b.size) {
      pending = [at === 0 ? b : sliceModelBatch(b, at, b.size)];
      pendingSize = b.size - at;
    }
  }
  if (pendingSize > 0) yield pending.length === 1 ? (pending[0] as ModelBatch) : concatModelBatches(pending);
}
