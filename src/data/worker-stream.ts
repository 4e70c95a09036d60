import type { MessagePort } from 'node:worker_threads';
import type { BadRow, ReadSummary } from './source.js';
import { packError, type PackedError } from './chunk-transfer.js';

/**
 * The worker side of a stream of items from a worker thread to the main thread: the protocol that the scan
 * worker (raw chunks, scan-worker.ts) and the stream-pass worker (ready training batches,
 * src/train/stream-worker.ts) share, and that `workerStream` (scan-pool.ts) reads on the main thread.
 *
 * One stream runs on a MessagePort of its own. The main thread grants credits (how many items may be sent
 * ahead of its consumer: the bounded read-ahead) and may ask it to stop; the worker sends items as credits
 * allow, each with what the scan's ReadSummary gained since the previous message, then one last message.
 */

/** Main -> worker on a stream's port: room for `n` more items, or stop (the consumer left the loop). */
export type StreamControl = { readonly type: 'credit'; readonly n: number } | { readonly type: 'stop' };

/** What the summary gained since the previous message (the main thread's summary adds it up). */
export interface SummaryDelta {
  readonly rowsRead: number;
  readonly rowsSkipped: number;
  readonly badRows: readonly BadRow[];
}

/** Worker -> main: items, then one last message (end, error, or stopped after a stop); the port then closes. */
export type StreamMessage<T> =
  | ({ readonly type: 'item'; readonly item: T } & SummaryDelta)
  | ({ readonly type: 'end' } & SummaryDelta)
  | ({ readonly type: 'error'; readonly error: PackedError } & SummaryDelta)
  | { readonly type: 'stopped' };

/** An item ready to post, and the buffers that travel with it by transfer (each once; the sender gives them up). */
export interface PackedItem<T> {
  readonly item: T;
  readonly transfer: readonly ArrayBuffer[];
}

/** What `serveStream` sends. */
export interface ServedStream<T> {
  /** The items, packed. Their errors end the stream (as `fail` packs them). */
  readonly items: AsyncIterable<PackedItem<T>>;
  /**
   * The summary of the scan behind the items, read live; deltas of it go with every message. What it holds
   * when the stream opens is not sent (a reader's summary of its previous scan, until the next one starts).
   */
  readonly summary: () => ReadSummary;
  /** How an error of `items` travels. Default: `packError(e, 'other')`. */
  readonly fail?: (e: unknown) => PackedError;
}

/**
 * Sends a stream's items on `port` as the main thread's credits allow, stops early when asked (leaving the
 * item loop, which closes what the items came from), and ends with 'end', 'error' or 'stopped'. Never throws.
 */
export async function serveStream<T>(port: MessagePort, open: () => Promise<ServedStream<T>>): Promise<void> {
  let credits = 0;
  let stopped = false;
  let wake: (() => void) | null = null;
  port.on('message', (m: StreamControl) => {
    if (m.type === 'credit') credits += m.n;
    else stopped = true;
    wake?.();
    wake = null;
  });
  // What was sent of the summary object `of`. A summary read before its scan started (a reader's summary of the
  // scan before) is the baseline, not news; a new summary object (the scan started) starts from zero.
  let of: ReadSummary | null = null;
  const sent = { rowsRead: 0, rowsSkipped: 0, badRows: 0 };
  let summary: (() => ReadSummary) | null = null;
  const mark = (s: ReadSummary): void => {
    of = s;
    sent.rowsRead = s.rowsRead;
    sent.rowsSkipped = s.rowsSkipped;
    sent.badRows = s.badRows.length;
  };
  const delta = (): SummaryDelta => {
    if (summary === null) return { rowsRead: 0, rowsSkipped: 0, badRows: [] };
    const s = summary();
    if (s !== of) mark({ source: s.source, rowsRead: 0, rowsSkipped: 0, badRows: [] });
    const out = { rowsRead: s.rowsRead - sent.rowsRead, rowsSkipped: s.rowsSkipped - sent.rowsSkipped, badRows: s.badRows.slice(sent.badRows) };
    mark(s);
    return out;
  };
  let fail = (e: unknown): PackedError => packError(e, 'other');
  let last: StreamMessage<T>;
  try {
    const stream = await open();
    summary = stream.summary;
    mark(summary());
    if (stream.fail !== undefined) fail = stream.fail;
    for await (const { item, transfer } of stream.items) {
      while (credits === 0 && !stopped) await new Promise<void>((resolve) => (wake = resolve));
      if (stopped) break;
      credits -= 1;
      port.postMessage({ type: 'item', item, ...delta() } satisfies StreamMessage<T>, [...transfer]);
    }
    last = stopped ? { type: 'stopped' } : { type: 'end', ...delta() };
  } catch (e) {
    last = stopped ? { type: 'stopped' } : { type: 'error', error: fail(e), ...delta() };
  }
  port.postMessage(last);
  port.close();
}

/** The distinct buffers of `arrays` for a transfer list; every array must span its whole buffer (`ownArray`). */
export function buffersOf(arrays: Iterable<ArrayBufferView | undefined>): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const a of arrays) if (a !== undefined) out.add(a.buffer as ArrayBuffer);
  return [...out];
}

/**
 * `a` itself when it spans its whole buffer, else a copy that does: a view into a larger buffer would take
 * the whole buffer along when posted (cloned) and lose it for everyone when transferred.
 */
export function ownArray<T extends Int32Array | Float32Array | Float64Array | Uint8Array>(a: T): T {
  return a.byteOffset === 0 && a.byteLength === a.buffer.byteLength ? a : (a.slice() as T);
}
