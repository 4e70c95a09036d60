import { isMainThread, parentPort, type MessagePort } from 'node:worker_threads';
import type { ReadOptions } from '../data/options.js';
import { openTable, type TableReader } from '../data/reader.js';
import { packChunk, type PackedChunk } from '../data/chunk-transfer.js';
import { serveStream, type PackedItem } from '../data/worker-stream.js';
import { packBatch, type PackedBatch } from './batch-transfer.js';
import { epochBatches, fitItems, testItems, type Pass, type RowPart } from './stream-passes.js';

/**
 * The stream-pass worker of stream-mode training: it reads the file (DuckDB scan and decode, in this thread,
 * with the reader's row numbering, bad-row policy and completeness check), and runs the pass next to the scan
 * (stream-passes.ts: split by part, shuffle, transform, batches of exactly batchSize), so the main thread gets
 * ready ModelBatches and only trains. One pass at a time, on a MessagePort of its own (the protocol of
 * src/data/worker-stream.ts; `workerStream` in scan-pool.ts is the other end). Loaded only inside a worker
 * thread.
 */

/** Starts a pass over the file `read` names; the port carries it both ways. */
export interface StartPass {
  readonly port: MessagePort;
  readonly read: ReadOptions;
  readonly pass: Pass;
}

/** What the items of each kind of pass are as messages. */
export interface PackedFitItem {
  readonly train: PackedChunk | null;
  readonly validation: PackedChunk | null;
  readonly counts: Readonly<Record<RowPart, number>>;
}
export interface PackedTestItem {
  readonly batch: PackedBatch | null;
  readonly read: number;
  readonly skipped: number;
}
export type PassItem = PackedFitItem | PackedBatch | PackedTestItem;

/** Readers planned in this worker, by their options: the passes of one run plan their file once. */
const readers = new Map<string, Promise<TableReader>>();
const MAX_READERS = 4;

function readerOf(read: ReadOptions): Promise<TableReader> {
  const key = JSON.stringify(read);
  let reader = readers.get(key);
  if (reader === undefined) {
    if (readers.size >= MAX_READERS) readers.delete(readers.keys().next().value as string);
    reader = openTable(read);
    // A failed plan is not kept: the next pass plans again (and fails with the same error, or not).
    reader.catch(() => readers.delete(key));
    readers.set(key, reader);
  }
  return reader;
}

/** The packed items of a pass over the reader's chunks. */
async function* passItems(reader: TableReader, pass: Pass): AsyncGenerator<PackedItem<PassItem>, void, undefined> {
  const chunks = reader.chunks();
  if (pass.kind === 'epoch') {
    for await (const b of epochBatches(pass.spec, chunks, pass)) yield packBatch(b);
  } else if (pass.kind === 'test') {
    for await (const t of testItems(pass.spec, chunks, pass.holdOut)) {
      const b = t.batch === null ? null : packBatch(t.batch);
      yield { item: { batch: b?.item ?? null, read: t.read, skipped: t.skipped }, transfer: b?.transfer ?? [] };
    }
  } else {
    for await (const f of fitItems(chunks, pass.holdOut, pass.maxValidationRows)) {
      const train = f.train === null ? null : packChunk(f.train);
      const validation = f.validation === null ? null : packChunk(f.validation);
      const transfer = new Set([...(train?.transfer ?? []), ...(validation?.transfer ?? [])]);
      yield { item: { train: train?.packed ?? null, validation: validation?.packed ?? null, counts: f.counts }, transfer: [...transfer] };
    }
  }
}

function runPass({ port, read, pass }: StartPass): Promise<void> {
  return serveStream<PassItem>(port, async () => {
    const reader = await readerOf(read);
    return { items: passItems(reader, pass), summary: () => reader.summary };
  });
}

if (!isMainThread && parentPort !== null) {
  parentPort.on('message', (m: StartPass) => void runPass(m));
}
