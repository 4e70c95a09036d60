import { isMainThread, parentPort, type MessagePort } from 'node:worker_threads';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { BadRow } from './source.js';
import { duckdbInstance } from './duckdb.js';
import { packChunk, packError, type PackedChunk, type PackedError } from './chunk-transfer.js';
import { emptySummary, scanRows, type ScanPlan } from './scan.js';

/**
 * The scan worker: runs scans (DuckDB fetch, decode, rows cut into RowChunks) off the main thread, which then
 * only consumes the chunks, so reading and what the caller does with the chunks (feature transforms) overlap.
 * It has its own DuckDB instance and serves one scan at a time, each on a MessagePort of its own (scan-pool.ts
 * is the other end). Loaded only inside a worker thread.
 */

/** Starts a scan; the port carries it both ways. */
export interface StartScan {
  readonly port: MessagePort;
  readonly plan: ScanPlan;
}

/** Main -> worker on a scan's port: room for `n` more chunks, or stop (the consumer left the loop). */
export type ScanControl = { readonly type: 'credit'; readonly n: number } | { readonly type: 'stop' };

/** What the summary gained since the previous message (the main thread's summary adds it up). */
export interface SummaryDelta {
  readonly rowsRead: number;
  readonly rowsSkipped: number;
  readonly badRows: readonly BadRow[];
}

/** Worker -> main: a chunk, then one last message (end, error, or stopped after a stop); the port then closes. */
export type ScanMessage =
  | ({ readonly type: 'chunk'; readonly chunk: PackedChunk } & SummaryDelta)
  | ({ readonly type: 'end' } & SummaryDelta)
  | ({ readonly type: 'error'; readonly error: PackedError } & SummaryDelta)
  | { readonly type: 'stopped' };

/** A DuckDB failure during the scan, told apart from decode errors: the main thread diagnoses it. */
class FetchFailure {
  constructor(readonly error: unknown) {}
}

async function runScan({ port, plan }: StartScan): Promise<void> {
  let credits = 0;
  let stopped = false;
  let wake: (() => void) | null = null;
  port.on('message', (m: ScanControl) => {
    if (m.type === 'credit') credits += m.n;
    else stopped = true;
    wake?.();
    wake = null;
  });
  const summary = emptySummary(plan.file);
  const sent = { rowsRead: 0, rowsSkipped: 0, badRows: 0 };
  const delta = (): SummaryDelta => {
    const out = { rowsRead: summary.rowsRead - sent.rowsRead, rowsSkipped: summary.rowsSkipped - sent.rowsSkipped, badRows: summary.badRows.slice(sent.badRows) };
    sent.rowsRead = summary.rowsRead;
    sent.rowsSkipped = summary.rowsSkipped;
    sent.badRows = summary.badRows.length;
    return out;
  };
  let con: DuckDBConnection | undefined;
  let last: ScanMessage;
  try {
    con = await (await duckdbInstance()).connect();
    const result = await con.stream(plan.sql).catch((e: unknown) => {
      throw new FetchFailure(e);
    });
    for await (const chunk of scanRows(result, plan, summary, (e) => Promise.resolve(new FetchFailure(e)))) {
      while (credits === 0 && !stopped) await new Promise<void>((resolve) => (wake = resolve));
      if (stopped) break;
      credits -= 1;
      const { packed, transfer } = packChunk(chunk);
      port.postMessage({ type: 'chunk', chunk: packed, ...delta() } satisfies ScanMessage, transfer);
    }
    last = stopped ? { type: 'stopped' } : { type: 'end', ...delta() };
  } catch (e) {
    const error = e instanceof FetchFailure ? packError(e.error, 'fetch') : packError(e, 'other');
    last = stopped ? { type: 'stopped' } : { type: 'error', error, ...delta() };
  } finally {
    con?.closeSync();
  }
  port.postMessage(last);
  port.close();
}

if (!isMainThread && parentPort !== null) {
  parentPort.on('message', (m: StartScan) => void runScan(m));
}
