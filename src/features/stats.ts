import type { Rng } from '../core/rng.js';

/**
 * Streaming accumulators used by `fit` (one pass over the data) and the pure lookups transform uses with
 * their results: vocabulary selection, moments, reservoir quantiles and bucket search.
 */

/** Number of boundaries `<= x` (bucket index, TF `bucketized_column` convention: [b_i, b_{i+1})). */
export function countAtOrBelow(boundaries: Float64Array, x: number): number {
  let lo = 0;
  let hi = boundaries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (boundaries[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Number of boundaries `< x` (quantile index: the i-th quantile is (q_{i-1}, q_i]). */
export function countBelow(boundaries: Float64Array, x: number): number {
  let lo = 0;
  let hi = boundaries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (boundaries[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The paper's quantile normalization: with `n` quantiles cut at the n-1 `boundaries`, a value in the i-th
 * quantile (1-based) maps to (i - 1) / (n - 1), so the result lies in [0, 1].
 */
export function quantileNormalize(boundaries: Float64Array, x: number): number {
  return countBelow(boundaries, x) / boundaries.length;
}

/**
 * The n-1 cut points splitting a sorted sample into n quantiles: q_k = sorted[ceil(k*m/n) - 1] for k = 1..n-1
 * (the inverse of the empirical CDF, Hyndman & Fan type 1), so every boundary is a sample value.
 */
export function quantileBoundaries(sorted: Float64Array, n: number): number[] {
  const m = sorted.length;
  const out: number[] = [];
  for (let k = 1; k < n; k++) {
    const idx = Math.min(m - 1, Math.max(0, Math.ceil((k * m) / n) - 1));
    out.push(sorted[idx]!);
  }
  return out;
}

/** Sorted values with repeats removed (fitted bucket boundaries must be strictly increasing). */
export function dedupeSorted(a: readonly number[]): number[] {
  return a.filter((v, i) => i === 0 || v !== a[i - 1]);
}

/**
 * Uniform sample of at most `capacity` values from a stream (Vitter's algorithm R with a seeded Rng): exact
 * quantiles of the whole stream while it fits, quantiles of a uniform sample after that.
 */
export class Reservoir {
  private buf: Float64Array;
  private seen = 0;
  readonly capacity: number;
  private readonly rng: Rng;

  constructor(capacity: number, rng: Rng) {
    this.capacity = capacity;
    this.rng = rng;
    this.buf = new Float64Array(Math.min(capacity, 1024));
  }

  add(x: number): void {
    const i = this.seen++;
    if (i < this.capacity) {
      if (i === this.buf.length) {
        const grown = new Float64Array(Math.min(this.capacity, this.buf.length * 2));
        grown.set(this.buf);
        this.buf = grown;
      }
      this.buf[i] = x;
      return;
    }
    const j = this.rng.int(i + 1);
    if (j < this.capacity) this.buf[j] = x;
  }

  /** The sample, sorted ascending. */
  sorted(): Float64Array {
    return this.buf.slice(0, Math.min(this.seen, this.capacity)).sort();
  }

  get count(): number {
    return this.seen;
  }
}

/** Count, mean and variance in one pass (Welford), plus the plain sum. */
export class Moments {
  count = 0;
  mean = 0;
  private m2 = 0;

  add(x: number): void {
    this.count++;
    const d = x - this.mean;
    this.mean += d / this.count;
    this.m2 += d * (x - this.mean);
  }

  /** Population standard deviation. */
  get std(): number {
    return this.count > 0 ? Math.sqrt(this.m2 / this.count) : 0;
  }
}

/** Counts of string values (vocabularies, classes). */
export class Counter {
  readonly counts = new Map<string, number>();

  add(v: string): void {
    this.counts.set(v, (this.counts.get(v) ?? 0) + 1);
  }
}

/** Compares tuples of strings element by element (UTF-16 code unit order, as `<` does). */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The fitted vocabulary: values seen at least `minCount` times, most frequent first, ties broken by value
 * (ascending), at most `maxSize` of them. Id of values[i] is i + 1.
 */
export function selectVocabulary<K>(
  counts: ReadonlyMap<K, number> | Iterable<[K, number]>,
  minCount: number,
  maxSize: number | null,
  compare: (a: K, b: K) => number,
): K[] {
  const kept: [K, number][] = [];
  for (const [k, n] of counts) if (n >= minCount) kept.push([k, n]);
  kept.sort((a, b) => b[1] - a[1] || compare(a[0], b[0]));
  const out = kept.map(([k]) => k);
  return maxSize !== null && out.length > maxSize ? out.slice(0, maxSize) : out;
}
