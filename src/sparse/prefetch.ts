/**
 * Software prefetch for JavaScript, which has no prefetch instruction: before a loop does its work on a block
 * of table rows, a tight loop reads one float of every cache line of those rows. The reads are independent,
 * so the core keeps many cache misses (and page walks) in flight at once, and the work loop then finds its
 * rows in cache. Without it the work loop's long body lets only a few misses overlap: on 26 tables of
 * 100k x 16 (500 MB with optimizer state) and Zipf ids the gather ran 1.7x and lazy Adam's row update 1.9x
 * slower (bench/prefetch-case.ts; BENCHMARKS.md, "Software prefetch and sparse workers by default"). The
 * values read are summed into a module variable so that the compiler cannot drop the reads.
 *
 * ```
 * for each block of PREFETCH_ROWS rows:   touch every line of the block's rows   (misses overlap)
 *                                          work on the block's rows               (hits)
 * ```
 */

/** Rows per block: enough misses in flight to cover memory latency, few enough to stay in L1 (16 x 192 B). */
export const PREFETCH_ROWS = 16;

/** Floats per 64-byte cache line. */
const LINE = 16;

let sink = 0;

/**
 * Reads every cache line of `span` floats from row `ids[i]` (offset `ids[i] * stride`) for i in [lo, hi).
 * An id outside the table reads `undefined` and does no harm: the work loop that follows checks ids.
 */
export function touchRows(data: Float32Array, ids: Int32Array, lo: number, hi: number, stride: number, span: number): void {
  let s = 0;
  for (let i = lo; i < hi; i++) {
    const base = (ids[i] as number) * stride;
    for (let k = 0; k < span; k += LINE) s += data[base + k] as number;
  }
  sink += s;
}

/** The running sum of what was touched (NaN once an id outside a table was touched); for tests only. */
export function touchedSum(): number {
  return sink;
}
