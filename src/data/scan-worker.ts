import { isMainThread, parentPort, type MessagePort } from 'node:worker_threads';
import type { RowChunk } from './types.js';
import { duckdbInstance } from './duckdb.js';
import { packChunk, packError, type PackedChunk } from './chunk-transfer.js';
import { emptySummary, scanRows, type ScanPlan } from './scan.js';
import { serveStream, type PackedItem } from './worker-stream.js';

/**
 * The scan worker: runs scans (DuckDB fetch, decode, rows cut into RowChunks) off the main thread, which then
 * only consumes the chunks, so reading and what the caller does with the chunks (feature transforms) overlap.
 * It has its own DuckDB instance and serves one scan at a time, each on a MessagePort of its own (the
 * protocol of worker-stream.ts; scan-pool.ts is the other end). Loaded only inside a worker thread.
 */

/** Starts a scan; the port carries it both ways. */
export interface StartScan {
  readonly port: MessagePort;
  readonly plan: ScanPlan;
}

/** A DuckDB failure during the scan, told apart from decode errors: the main thread diagnoses it. */
class FetchFailure {
  constructor(readonly error: unknown) {}
}

/** The scan's chunks, packed; the connection is closed when the loop over them ends, however it ends. */
async function* packedChunks(plan: ScanPlan, summary: ReturnType<typeof emptySummary>): AsyncGenerator<PackedItem<PackedChunk>, void, undefined> {
  const con = await (await duckdbInstance()).connect();
  try {
    const result = await con.stream(plan.sql).catch((e: unknown) => {
      throw new FetchFailure(e);
    });
    const chunks: AsyncIterable<RowChunk> = scanRows(result, plan, summary, (e) => Promise.resolve(new FetchFailure(e)));
    for await (const chunk of chunks) {
      const { packed, transfer } = packChunk(chunk);
      yield { item: packed, transfer };
    }
  } finally {
    con.closeSync();
  }
}

function runScan({ port, plan }: StartScan): Promise<void> {
  const summary = emptySummary(plan.file);
  return serveStream<PackedChunk>(port, () =>
    Promise.resolve({
      items: packedChunks(plan, summary),
      summary: () => summary,
      fail: (e) => (e instanceof FetchFailure ? packError(e.error, 'fetch') : packError(e, 'other')),
    }),
  );
}

if (!isMainThread && parentPort !== null) {
  parentPort.on('message', (m: StartScan) => void runScan(m));
}
