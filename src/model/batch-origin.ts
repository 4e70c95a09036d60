import type { ModelBatch } from './sizes.js';

/**
 * Where the examples of a model batch came from (its source and 1-based source rows), so that an error about
 * an example can name its row. Kept out of the batch's visible data (see below): batches stay plain data that
 * slices, gathers and comparisons treat alike. Only `modelBatchOf` records origins; a batch cut or gathered from
 * another has none, and errors then name the example's place in the batch.
 *
 * Stored as a non-enumerable symbol property of the batch (spread, Object.keys, JSON, deep equality and
 * structured clones do not see it), not in a WeakMap keyed by the batch: under Node 20's V8 a scavenge keeps
 * a WeakMap's young entries alive, so every batch (a serving request's: its chunk, ids and floats) outlived
 * the scavenges until a full GC (bench/gc-retention-case.ts).
 */
const ORIGIN = Symbol('widedeep.batchOrigin');

interface Origin {
  readonly source: string;
  readonly rowNumbers: Int32Array;
}

export function recordOrigin(batch: ModelBatch, source: string, rowNumbers: Int32Array): void {
  Object.defineProperty(batch, ORIGIN, { value: { source, rowNumbers } satisfies Origin, configurable: true });
}

/** The source and row of example `i` of `batch`, when known. */
export function originOf(batch: ModelBatch, i: number): { file?: string; row?: number } {
  const o = (batch as { [ORIGIN]?: Origin })[ORIGIN];
  const row = o?.rowNumbers[i];
  return o !== undefined && row !== undefined ? { file: o.source, row } : {};
}
