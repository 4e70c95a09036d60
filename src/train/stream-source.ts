import { WideDeepError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { concatChunks, criteoReadOptions, isTestRow, openTable, shuffleBuffer, takeRows, type ReadOptions, type ReadSummary, type RowChunk, type TableReader } from '../data/index.js';
import { type SpecColumns, stringColumns } from '../features/checks.js';
import type { FittedSpec } from '../features/fitted-spec.js';
import { transform } from '../features/transform.js';
import { concatModelBatches, modelBatchOf, sliceModelBatch } from '../model/from-spec.js';
import type { ModelBatch } from '../model/sizes.js';
import type { DataConfig, StreamConfig } from './run-config.js';
import type { TrainSource } from './trainer.js';
import { fixedWidthSpec, shuffleExamples } from './example-shuffle.js';

/**
 * Stream mode (`data.stream`): the training file is never loaded whole. Every pass (the fit pass, each
 * epoch, the test pass) is a fresh chunked scan of the file, read and decoded on a scan worker thread
 * (`chunks({ worker: true })`) so that reading overlaps the transform and the training steps here; what a row is used for follows from its source
 * row number alone (`rowPart`), so every pass sees the same split whatever the chunking and order.
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

const PARTS: readonly RowPart[] = ['train', 'validation', 'test'];

/** What the fit pass counted. */
export interface StreamCounts {
  /** Rows of each part in the training file (valid rows: the reader's skipped rows are not in any part). */
  readonly train: number;
  readonly validation: number;
  /** Validation rows kept in memory and scored (at most stream.maxValidationRows). */
  readonly validationScored: number;
  /** Test rows held out of the training file (0 with a test file). */
  readonly heldOutTest: number;
  /** Rows the reader skipped under data.onBadRow: 'skip' (malformed lines). */
  readonly readerSkipped: number;
  readonly badRowExamples: ReadSummary['badRows'];
}

/**
 * Reader options of the training and test files of a stream-mode data section; `features` names the columns
 * of your files read as strings (`stringColumns`).
 */
async function readOptionsOf(data: DataConfig, chunkSize: number, features: SpecColumns | undefined): Promise<{ train: ReadOptions; test: ReadOptions | null; fingerprint: Record<string, unknown> }> {
  if (data.dataset === 'criteo') {
    const train = await criteoReadOptions({ ...(data.dataDir !== undefined ? { dataDir: data.dataDir } : {}), onBadRow: data.onBadRow, chunkSize });
    return { train, test: null, fingerprint: { dataset: 'criteo', source: train.path } };
  }
  const text = features !== undefined ? { stringColumns: stringColumns(features) } : {};
  const file = (f: NonNullable<DataConfig['train']>): ReadOptions => ({ ...f, onBadRow: data.onBadRow, chunkSize, ...text }) as ReadOptions;
  const train = file(data.train as NonNullable<DataConfig['train']>);
  const test = data.test ? file(data.test) : null;
  return { train, test, fingerprint: { dataset: 'files', train: train.path, ...(test ? { test: test.path } : {}) } };
}

/**
 * A stream-mode data section read into memory, split as stream mode splits it (the test file, or the rows
 * the row hash holds out as test): for `loadRunData`, so that `widedeep eval` scores the same test rows.
 */
export async function loadStreamSplit(data: DataConfig, seed: number, features?: SpecColumns): Promise<{ train: RowChunk; test: RowChunk; fingerprint: Record<string, unknown>; reads: ReadSummary[] }> {
  const stream = data.stream as StreamConfig;
  const o = await readOptionsOf(data, stream.chunkSize, features);
  const reader = await openTable(o.train);
  if (o.test) {
    const testReader = await openTable(o.test);
    const train = await reader.readAll();
    return { train, test: await testReader.readAll(), fingerprint: o.fingerprint, reads: [reader.summary, testReader.summary] };
  }
  const h: HoldOut = { seed, testFraction: data.testFraction, validationFraction: 0 };
  const train: RowChunk[] = [];
  const test: RowChunk[] = [];
  for await (const chunk of reader.chunks({ chunkSize: 1 << 16 })) {
    const p = splitParts(chunk, h);
    if (p.train) train.push(p.train);
    if (p.test) test.push(p.test);
  }
  return { train: concatChunks(train), test: concatChunks(test), fingerprint: o.fingerprint, reads: [reader.summary] };
}

/**
 * The data of a stream-mode run: the training file (and test file) planned once and scanned once per pass.
 * In memory: one chunk at a time per scan, the shuffle buffer during an epoch, and the validation rows kept
 * by the fit pass (at most stream.maxValidationRows).
 */
export class StreamData {
  private countsOf: StreamCounts | null = null;
  private validation: RowChunk[] = [];
  private testSkipped = 0;
  private testRead = 0;

  private constructor(
    readonly stream: StreamConfig,
    readonly holdOut: HoldOut,
    private readonly trainReader: TableReader,
    private readonly testReader: TableReader | null,
    private readonly baseFingerprint: Record<string, unknown>,
  ) {}

  /**
   * Plans the file(s) of `data` (which has `stream`); `validationFraction` is train.validationFraction;
   * `features` (the features config or a fitted spec) names the columns read as strings.
   */
  static async open(data: DataConfig, seed: number, validationFraction: number, features?: SpecColumns): Promise<StreamData> {
    const stream = data.stream as StreamConfig;
    const o = await readOptionsOf(data, stream.chunkSize, features);
    const trainReader = await openTable(o.train);
    const testReader = o.test ? await openTable(o.test) : null;
    const holdOut = { seed, testFraction: testReader ? 0 : data.testFraction, validationFraction };
    return new StreamData(stream, holdOut, trainReader, testReader, o.fingerprint);
  }

  /**
   * One scan of the training file yielding its training rows only (for `fitResolved`); on the way it keeps
   * the first maxValidationRows validation rows and counts every part. Run it once, to the end.
   */
  async *fitPass(): AsyncGenerator<RowChunk, void, undefined> {
    const cap = this.stream.maxValidationRows;
    let train = 0;
    let validation = 0;
    let test = 0;
    let kept = 0;
    this.validation = [];
    for await (const chunk of this.trainReader.chunks({ chunkSize: this.stream.chunkSize, worker: true })) {
      const { train: t, validation: v, test: x } = splitParts(chunk, this.holdOut);
      train += t?.numRows ?? 0;
      validation += v?.numRows ?? 0;
      test += x?.numRows ?? 0;
      if (v !== null && kept < cap) {
        const take = Math.min(v.numRows, cap - kept);
        this.validation.push(take === v.numRows ? v : takeRows(v, Int32Array.from({ length: take }, (_, i) => i)));
        kept += take;
      }
      if (t !== null) yield t;
    }
    const s = this.trainReader.summary;
    this.countsOf = { train, validation, validationScored: kept, heldOutTest: test, readerSkipped: s.rowsSkipped, badRowExamples: [...s.badRows] };
  }

  /** What the fit pass counted (after it ran). */
  get counts(): StreamCounts {
    if (this.countsOf === null) throw new WideDeepError('INTERNAL', 'StreamData: the fit pass has not run to the end');
    return this.countsOf;
  }

  /** The validation rows kept by the fit pass, or null when there are none. */
  validationRows(): RowChunk | null {
    return this.validation.length > 0 ? concatChunks(this.validation) : null;
  }

  /** Forgets the raw validation rows (once they are transformed). */
  dropValidationRows(): void {
    this.validation = [];
  }

  /**
   * The training rows of epoch `epoch` before the transform: a fresh scan, held-out rows dropped, through a
   * shuffle buffer seeded by (seed, epoch), in chunks of stream.chunkSize rows.
   */
  trainingChunks(epoch: number): AsyncGenerator<RowChunk, void, undefined> {
    return shuffleBuffer(this.trainingRows(), { bufferSize: this.stream.shuffleBuffer, seed: this.epochSeed(epoch), chunkSize: this.stream.chunkSize });
  }

  /** The training rows of the file in file order: a fresh scan, held-out rows dropped. */
  private async *trainingRows(): AsyncGenerator<RowChunk, void, undefined> {
    for await (const chunk of this.trainReader.chunks({ chunkSize: this.stream.chunkSize, worker: true })) {
      const t = rowsOfPart(chunk, 'train', this.holdOut);
      if (t !== null) yield t;
    }
  }

  private epochSeed(epoch: number): number {
    return new Rng(this.holdOut.seed).fork(`stream-epoch-${epoch}`).nextU32();
  }

  /**
   * The encoded examples of epoch `epoch`, shuffled. With a fixed-width spec (one id per sparse key) the
   * rows are transformed as they are read and the shuffle buffer holds encoded examples (example-shuffle.ts:
   * the same order as below, at a fraction of the memory and time); otherwise the buffer holds the raw rows
   * (`trainingChunks`), transformed as they leave it.
   */
  examples(spec: FittedSpec, epoch: number): AsyncGenerator<ModelBatch, void, undefined> {
    if (!fixedWidthSpec(spec)) return transformed(spec, this.trainingChunks(epoch));
    return shuffleExamples(transformed(spec, this.trainingRows()), { bufferSize: this.stream.shuffleBuffer, seed: this.epochSeed(epoch), chunkSize: this.stream.chunkSize });
  }

  /**
   * The training rows as a TrainSource: epoch e takes the encoded examples of `examples(spec, e)` and
   * cuts them into batches of exactly `batchSize` examples (the remainder of a chunk starts the next batch;
   * only the epoch's last batch may be smaller). `rows` is the training rows the fit pass counted, less the
   * rows the transform leaves out under the spec's onBadRow: 'skip' (the same rows every epoch).
   */
  source(spec: FittedSpec, batchSize: number): TrainSource {
    const rows = Math.max(0, this.counts.train - spec.fitStats.skippedRows);
    return {
      rows,
      batches: (epoch: number) => exactBatches(this.examples(spec, epoch), batchSize),
    };
  }

  /** The test rows, transformed chunk by chunk: the test file, or the rows held out of the training file. */
  async *testBatches(spec: FittedSpec): AsyncGenerator<ModelBatch, void, undefined> {
    const reader = this.testReader ?? this.trainReader;
    const h = this.holdOut;
    this.testSkipped = 0;
    this.testRead = 0;
    for await (const chunk of reader.chunks({ chunkSize: this.stream.chunkSize, worker: true })) {
      const rows = this.testReader ? chunk : rowsOfPart(chunk, 'test', h);
      if (rows === null) continue;
      const fb = transform(spec, rows);
      this.testRead += rows.numRows;
      this.testSkipped += fb.skippedRows;
      if (fb.batchSize > 0) yield modelBatchOf(fb);
    }
  }

  /** Where the test rows come from: the test file, or the rows held out of the training file. */
  get testSource(): string {
    return this.testReader ? this.testReader.source : `${this.trainReader.source} (held-out test rows)`;
  }

  /** What the reader of the last test pass read and skipped (the whole training file, for held-out rows). */
  get testSummary(): ReadSummary {
    return (this.testReader ?? this.trainReader).summary;
  }

  /** Test rows read by the last test pass (before the transform's skips). */
  get testRowsRead(): number {
    return this.testRead;
  }

  /** What identifies the data and what was read, held out and skipped (complete after the test pass). */
  fingerprint(spec: FittedSpec): Record<string, unknown> {
    const c = this.counts;
    return {
      ...this.baseFingerprint,
      stream: { ...this.stream },
      rows: { train: c.train, validation: c.validation, validationScored: c.validationScored, test: this.testRead },
      skippedRows: { reader: c.readerSkipped, fit: spec.fitStats.skippedRows, test: this.testSkipped },
    };
  }

  /** One line on what the fit pass found. */
  describe(): string {
    const c = this.counts;
    const held = this.testReader ? `test file ${this.testReader.source}` : `${c.heldOutTest} test rows held out`;
    const bad = c.readerSkipped > 0 ? `, ${c.readerSkipped} bad rows skipped (first: row ${c.badRowExamples[0]?.row}: ${c.badRowExamples[0]?.reason})` : '';
    return `stream ${this.trainReader.source}: ${c.train} training rows, ${c.validation} validation rows (${c.validationScored} scored), ${held}${bad}; shuffle buffer ${this.stream.shuffleBuffer} rows, chunks of ${this.stream.chunkSize}`;
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
