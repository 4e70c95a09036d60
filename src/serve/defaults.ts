/**
 * The server's defaults, in a module that imports nothing: `widedeep serve --help` shows them without loading
 * the server (Fastify, ONNX Runtime).
 */

/** Rows one request may carry. */
export const DEFAULT_MAX_ROWS = 10_000;
/**
 * Keys a request's rows may give besides the model's input columns (each key becomes a column of the request's
 * rows: without a bound, rows with keys of their own would grow as keys x rows and exhaust memory).
 */
export const MAX_OTHER_KEYS = 1024;
/** Largest request body. */
export const DEFAULT_MAX_BODY_BYTES = 16 << 20;
/** On SIGTERM, how long requests in flight may take before their connections are cut. */
export const DEFAULT_DRAIN_SECONDS = 10;

export interface BatchOptions {
  /** Most rows in one model call (a larger request is scored alone). */
  readonly maxRows: number;
  /** Longest wait for more requests once one is queued and the model is idle; 0: none. */
  readonly maxWaitMs: number;
}

/**
 * Chosen by measurement: bench/batcher-case.ts, 2 cores shared with other work (load 4-6), 2026-12-05; the
 * HTTP figures are same-run comparisons. maxWaitMs 0: 64 one-row clients coalesce without a wait (29
 * requests a model call, 2.3k rows/s against 0.9k for no coalescing, maxRows 1: what queued while the model
 * ran), and a wait adds itself to a lone request (one client of 200 candidates: p50 1.9 ms at 0 ms, 4.7 ms
 * at 1 ms; the goal is p99 <= 2 ms). maxRows 1024: the model call alone costs least per row at 512-1024 rows
 * (0.89 and 0.83 us/row; 2048: 1.3, 4096: 2.4), and 8 clients of 200 candidates lost a
 * third of their rows/s with a 512 cap (48k against 64k at 1024 and 66k at 2048; 68k with no coalescing:
 * at 200 rows a request the model call is already amortized, so coalescing them buys nothing there).
 */
export const DEFAULT_BATCH: BatchOptions = { maxRows: 1024, maxWaitMs: 0 };
