import { WideDeepError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { concatChunks, criteoReadOptions, openTable, shuffleBuffer, type ReadOptions, type ReadSummary, type RowChunk, type TableReader } from '../data/index.js';
import { unpackChunk } from '../data/chunk-transfer.js';
import { CHUNKS_IN_FLIGHT, workerStream, type WorkerModule } from '../data/scan-pool.js';
import { type SpecColumns, stringColumns } from '../features/checks.js';
import type { FittedSpec } from '../features/fitted-spec.js';
import type { ModelBatch } from '../model/sizes.js';
import type { DataConfig, StreamConfig } from './run-config.js';
import type { TrainSource } from './trainer.js';
import { unpackBatch, type PackedBatch } from './batch-transfer.js';
import { splitParts, trainingRows, type HoldOut, type Pass } from './stream-passes.js';
import type { PackedFitItem, PackedTestItem, StartPass } from './stream-worker.js';

export { exactBatches, rowPart, rowsOfPart, splitParts, transformed, type HoldOut, type RowPart } from './stream-passes.js';

/**
 * Stream mode (`data.stream`): the training file is never loaded whole. Every pass (the fit pass, each
 * epoch, the test pass) is a fresh chunked scan of the file on a stream worker thread (stream-worker.ts),
 * which also runs the pass itself (stream-passes.ts: split by part, shuffle, transform, exact batches), so
 * this thread receives ready batches and only trains; what a row is used for follows from its source row
 * number alone (`rowPart`), so every pass sees the same split whatever the chunking and order.
 */

const STREAM_WORKER: WorkerModule = { from: import.meta.url, file: 'stream-worker' };

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
 * The data of a stream-mode run: the training file (and test file) planned here (a bad path or option fails
 * at `open`) and by each stream worker once, and scanned once per pass on a stream worker. In memory: one
 * chunk at a time per scan and the shuffle buffer during an epoch (both in the worker), the batches sent
 * ahead, and the validation rows kept by the fit pass (at most stream.maxValidationRows).
 */
export class StreamData {
  private countsOf: StreamCounts | null = null;
  private validation: RowChunk[] = [];
  private testSkipped = 0;
  private testRead = 0;
  private testSummaryOf: ReadSummary | null = null;

  private constructor(
    readonly stream: StreamConfig,
    readonly holdOut: HoldOut,
    private readonly trainReader: TableReader,
    private readonly testReader: TableReader | null,
    private readonly read: { readonly train: ReadOptions; readonly test: ReadOptions | null },
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
    return new StreamData(stream, holdOut, trainReader, testReader, { train: o.train, test: o.test }, o.fingerprint);
  }

  /**
   * A pass over the training file (or the test file) on a stream worker: its items as they come, at most
   * `inFlight` ahead of the consumer; what the scan reads and skips is added to `summary`.
   */
  private pass<T>(pass: Pass, o: { readonly test?: boolean; readonly inFlight: number; readonly summary: ReadSummary }): AsyncGenerator<T, void, undefined> {
    const read = o.test === true && this.read.test !== null ? this.read.test : this.read.train;
    const start: Omit<StartPass, 'port'> = { read, pass };
    return workerStream<T>(STREAM_WORKER, start, { file: read.path, inFlight: o.inFlight, summary: o.summary });
  }

  /**
   * One scan of the training file yielding its training rows only (for `fitResolved`); on the way it keeps
   * the first maxValidationRows validation rows and counts every part. Run it once, to the end.
   */
  async *fitPass(): AsyncGenerator<RowChunk, void, undefined> {
    const counts = { train: 0, validation: 0, test: 0 };
    let kept = 0;
    this.validation = [];
    const summary = emptySummary(this.trainReader.source);
    const pass: Pass = { kind: 'fit', holdOut: this.holdOut, maxValidationRows: this.stream.maxValidationRows };
    for await (const f of this.pass<PackedFitItem>(pass, { inFlight: CHUNKS_IN_FLIGHT, summary })) {
      counts.train += f.counts.train;
      counts.validation += f.counts.validation;
      counts.test += f.counts.test;
      if (f.validation !== null) {
        this.validation.push(unpackChunk(f.validation));
        kept += f.validation.numRows;
      }
      if (f.train !== null) yield unpackChunk(f.train);
    }
    this.countsOf = { ...counts, validationScored: kept, heldOutTest: counts.test, readerSkipped: summary.rowsSkipped, badRowExamples: [...summary.badRows] };
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
   * The training rows of epoch `epoch` before the transform, read in this thread's scan: a fresh scan,
   * held-out rows dropped, through a shuffle buffer seeded by (seed, epoch), in chunks of stream.chunkSize
   * rows. The rows the batches of `source` are made of, in their order.
   */
  trainingChunks(epoch: number): AsyncGenerator<RowChunk, void, undefined> {
    const rows = trainingRows(this.trainReader.chunks({ chunkSize: this.stream.chunkSize, worker: true }), this.holdOut);
    return shuffleBuffer(rows, this.shuffleOf(epoch));
  }

  private shuffleOf(epoch: number): { bufferSize: number; seed: number; chunkSize: number } {
    return { bufferSize: this.stream.shuffleBuffer, seed: new Rng(this.holdOut.seed).fork(`stream-epoch-${epoch}`).nextU32(), chunkSize: this.stream.chunkSize };
  }

  /**
   * The training rows as a TrainSource: epoch e is a pass on a stream worker that scans the file, shuffles,
   * transforms and cuts batches of exactly `batchSize` examples (`epochBatches`; only the epoch's last batch
   * may be smaller), sending up to ~3 chunks' worth of batches ahead. `rows` is the training rows the fit
   * pass counted, less the rows the transform leaves out under the spec's onBadRow: 'skip' (the same rows
   * every epoch).
   *
   * `early` (an epoch, e.g. 0, or the first epoch of a resumed run) starts that epoch's pass now, so that its
   * scan, shuffle-buffer fill and first batches run on the worker while this thread builds the model and
   * transforms the validation rows; the first `batches(early)` takes the running pass (the same pass, so the
   * same batches). Call `close` once training is done or failed: it stops an early pass never taken.
   */
  source(spec: FittedSpec, batchSize: number, o: { readonly early?: number } = {}): StreamSource {
    const rows = Math.max(0, this.counts.train - spec.fitStats.skippedRows);
    const inFlight = Math.max(CHUNKS_IN_FLIGHT, Math.ceil((CHUNKS_IN_FLIGHT * this.stream.chunkSize) / batchSize));
    const epochOf = (epoch: number): AsyncGenerator<ModelBatch, void, undefined> => this.epochBatches(spec, epoch, batchSize, inFlight);
    const pass = o.early === undefined ? null : startEarly(epochOf(o.early));
    let early = pass === null ? null : (o.early ?? null);
    // Closes the early pass whether or not it was taken: one taken has ended by then (the trainer's loop left it).
    const close = async (): Promise<void> => {
      early = null;
      await pass?.close();
    };
    return {
      rows,
      batches: (epoch: number) => {
        if (pass === null || early === null) return epochOf(epoch);
        const taken = early === epoch;
        early = null;
        // Another epoch first: the early pass gives its worker back before this pass asks for one.
        return taken ? pass.take() : afterClose(pass.close(), epochOf(epoch));
      },
      close,
    };
  }

  private async *epochBatches(spec: FittedSpec, epoch: number, batchSize: number, inFlight: number): AsyncGenerator<ModelBatch, void, undefined> {
    const pass: Pass = { kind: 'epoch', holdOut: this.holdOut, spec, shuffle: this.shuffleOf(epoch), batchSize };
    for await (const b of this.pass<PackedBatch>(pass, { inFlight, summary: emptySummary(this.trainReader.source) })) yield unpackBatch(b);
  }

  /** The test rows, transformed chunk by chunk: the test file, or the rows held out of the training file. */
  async *testBatches(spec: FittedSpec): AsyncGenerator<ModelBatch, void, undefined> {
    const summary = emptySummary((this.testReader ?? this.trainReader).source);
    this.testSummaryOf = summary;
    this.testSkipped = 0;
    this.testRead = 0;
    const pass: Pass = { kind: 'test', holdOut: this.testReader ? null : this.holdOut, spec };
    for await (const t of this.pass<PackedTestItem>(pass, { test: true, inFlight: CHUNKS_IN_FLIGHT, summary })) {
      this.testRead += t.read;
      this.testSkipped += t.skipped;
      if (t.batch !== null) yield unpackBatch(t.batch);
    }
  }

  /** Where the test rows come from: the test file, or the rows held out of the training file. */
  get testSource(): string {
    return this.testReader ? this.testReader.source : `${this.trainReader.source} (held-out test rows)`;
  }

  /** What the last test pass read and skipped (the whole training file, for held-out rows). */
  get testSummary(): ReadSummary {
    return this.testSummaryOf ?? emptySummary((this.testReader ?? this.trainReader).source);
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

/** A TrainSource that may hold a pass started early (`StreamData.source`): `close` stops it if never taken. */
export interface StreamSource extends TrainSource {
  close(): Promise<void>;
}

/**
 * Starts `items` now: its first item is asked for at once (a worker pass starts its scan), and `take` gives
 * the items from the first on, to be consumed once. A failure before `take` is kept for its consumer, not
 * left as an unhandled rejection; `close` ends a pass never taken (its worker goes back to the pool), and
 * drops its failure: nobody needed its items.
 */
function startEarly<T>(items: AsyncGenerator<T, void, undefined>): { take(): AsyncGenerator<T, void, undefined>; close(): Promise<void> } {
  type First = { readonly ok: true; readonly result: IteratorResult<T, void> } | { readonly ok: false; readonly error: unknown };
  const first: Promise<First> = items.next().then(
    (result) => ({ ok: true, result }),
    (error: unknown) => ({ ok: false, error }),
  );
  async function* take(): AsyncGenerator<T, void, undefined> {
    try {
      const f = await first;
      if (!f.ok) throw f.error;
      for (let r = f.result; r.done !== true; r = await items.next()) yield r.value;
    } finally {
      await items.return();
    }
  }
  return {
    take,
    close: async () => {
      await first;
      await items.return();
    },
  };
}

/** The items of `next`, once `before` is done (an early pass closed). */
async function* afterClose<T>(before: Promise<void>, next: AsyncGenerator<T, void, undefined>): AsyncGenerator<T, void, undefined> {
  await before;
  yield* next;
}

function emptySummary(source: string): ReadSummary {
  return { source, rowsRead: 0, rowsSkipped: 0, badRows: [] };
}
