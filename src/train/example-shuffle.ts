import { Rng } from '../core/rng.js';
import type { SparseBatch } from '../core/sparse-batch.js';
import { ReservoirSlots } from '../data/index.js';
import type { FittedSpec } from '../features/fitted-spec.js';
import type { ModelBatch } from '../model/sizes.js';

/**
 * The stream-mode shuffle buffer over encoded examples (transformed rows) instead of raw rows. Raw rows sit in
 * the buffer as JS strings (~0.8 KB per Criteo row, and decoding every string value was most of a stream
 * epoch); an encoded Criteo row is its 26 ids, 13 floats and its label (160 bytes), copied in and out of
 * typed arrays. It takes its slots from the same `ReservoirSlots` as `shuffleBuffer` (src/data/shuffle.ts),
 * so the examples come out in the order that shuffling the rows and then transforming them gives (when the
 * transform skips no row).
 *
 * It needs examples of a fixed width: one id per row for every sparse key (no multi-valued columns, crosses
 * over them, or sequences), which `fixedWidthSpec` tells from the spec.
 */

/** Whether every example of `spec` has one id per sparse key, so that `shuffleExamples` can hold it. */
export function fixedWidthSpec(spec: FittedSpec): boolean {
  const multi = new Set(spec.columns.filter((c) => c.type === 'multi-valued' || c.type === 'sequence').map((c) => c.name));
  return spec.columns.every((c) => {
    if (c.feeds.length === 0) return true;
    if (c.type === 'multi-valued' || c.type === 'sequence') return false;
    return c.type !== 'crossed' || !c.components.some((comp) => multi.has(comp));
  });
}

export interface ExampleShuffleOptions {
  /** Examples held; 1 keeps the input order. */
  readonly bufferSize: number;
  readonly seed: number;
  /** Examples per output batch. */
  readonly chunkSize: number;
}

/** The layout of one example: ids per sparse part (null: the part is absent, or shares the wide part's). */
interface Layout {
  readonly wideKeys: readonly string[] | null;
  readonly deepKeys: readonly string[] | null;
  /** The deep part is the very object of the wide part in the input (transform lays it out once). */
  readonly shared: boolean;
  /** Floats per example, and whether the input has a dense block at all. */
  readonly dense: number;
  readonly hasDense: boolean;
  readonly labels: boolean;
  readonly weights: boolean;
}

/** Fixed-width example rows: slot s of every field at [s * width, (s + 1) * width). */
class Rows {
  readonly wide: Int32Array;
  readonly deep: Int32Array;
  readonly dense: Float32Array;
  readonly labels: Float32Array;
  readonly weights: Float32Array;

  constructor(
    readonly layout: Layout,
    readonly capacity: number,
  ) {
    this.wide = new Int32Array(capacity * (layout.wideKeys?.length ?? 0));
    this.deep = new Int32Array(layout.shared ? 0 : capacity * (layout.deepKeys?.length ?? 0));
    this.dense = new Float32Array(capacity * layout.dense);
    this.labels = new Float32Array(layout.labels ? capacity : 0);
    this.weights = new Float32Array(layout.weights ? capacity : 0);
  }

  /** Example i of `b` (feature-major sparse parts, one id per row) into slot `s`. */
  put(s: number, b: ModelBatch, i: number): void {
    const n = b.size;
    putSparse(this.wide, s, b.wide, n, i);
    if (!this.layout.shared) putSparse(this.deep, s, b.deep, n, i);
    const w = this.layout.dense;
    if (w > 0) this.dense.set((b.dense as Float32Array).subarray(i * w, (i + 1) * w), s * w);
    if (this.layout.labels) this.labels[s] = (b.labels as Float32Array)[i]!;
    if (this.layout.weights) this.weights[s] = (b.weights as Float32Array)[i]!;
  }

  /** Slot `from` of `src` into slot `to` of this. */
  copy(to: number, src: Rows, from: number): void {
    copyRow(this.wide, to, src.wide, from, this.layout.wideKeys?.length ?? 0);
    copyRow(this.deep, to, src.deep, from, this.layout.shared ? 0 : (this.layout.deepKeys?.length ?? 0));
    copyRow(this.dense, to, src.dense, from, this.layout.dense);
    if (this.layout.labels) this.labels[to] = src.labels[from]!;
    if (this.layout.weights) this.weights[to] = src.weights[from]!;
  }

  /** The first n slots as a ModelBatch (sparse parts feature-major, as transform makes them). */
  batch(n: number): ModelBatch {
    const l = this.layout;
    const wide = l.wideKeys === null ? undefined : sparseOf(l.wideKeys, this.wide, n);
    const deep = l.shared ? wide : l.deepKeys === null ? undefined : sparseOf(l.deepKeys, this.deep, n);
    return {
      size: n,
      ...(wide ? { wide } : {}),
      ...(deep ? { deep } : {}),
      ...(l.hasDense ? { dense: this.dense.slice(0, n * l.dense) } : {}),
      ...(l.labels ? { labels: this.labels.slice(0, n) } : {}),
      ...(l.weights ? { weights: this.weights.slice(0, n) } : {}),
    };
  }
}

function putSparse(dst: Int32Array, s: number, part: SparseBatch | undefined, n: number, i: number): void {
  if (part === undefined) return;
  const k = part.keys.length;
  for (let f = 0; f < k; f++) dst[s * k + f] = part.ids[f * n + i]!;
}

function copyRow<T extends Int32Array | Float32Array>(dst: T, to: number, src: T, from: number, width: number): void {
  for (let j = 0; j < width; j++) dst[to * width + j] = src[from * width + j]!;
}

/** Row-major ids (n rows of keys.length) as a feature-major SparseBatch with one id per bag. */
function sparseOf(keys: readonly string[], rowMajor: Int32Array, n: number): SparseBatch {
  const k = keys.length;
  const ids = new Int32Array(k * n);
  for (let r = 0; r < n; r++) for (let f = 0; f < k; f++) ids[f * n + r] = rowMajor[r * k + f]!;
  const offsets = new Int32Array(k * n + 1);
  for (let j = 1; j <= k * n; j++) offsets[j] = j;
  return { keys, batchSize: n, ids, offsets };
}

function layoutOf(b: ModelBatch): Layout {
  const check = (part: SparseBatch | undefined, name: string): void => {
    if (part !== undefined && part.ids.length !== part.keys.length * b.size) {
      throw new Error(`shuffleExamples: the ${name} part has ${part.ids.length} ids for ${part.keys.length} keys x ${b.size} rows; it takes one id per key and row (fixedWidthSpec)`);
    }
  };
  check(b.wide, 'wide');
  check(b.deep, 'deep');
  return {
    wideKeys: b.wide?.keys ?? null,
    deepKeys: b.deep?.keys ?? null,
    shared: b.wide !== undefined && b.deep === b.wide,
    dense: b.dense && b.size > 0 ? b.dense.length / b.size : 0,
    hasDense: b.dense !== undefined,
    labels: b.labels !== undefined,
    weights: b.weights !== undefined,
  };
}

function sameLayout(a: Layout, b: Layout): void {
  const keys = (k: readonly string[] | null): string => (k === null ? '-' : k.join(','));
  const same = keys(a.wideKeys) === keys(b.wideKeys) && keys(a.deepKeys) === keys(b.deepKeys) && a.shared === b.shared && a.dense === b.dense && a.hasDense === b.hasDense && a.labels === b.labels && a.weights === b.weights;
  if (!same) throw new Error('shuffleExamples: every batch must have the layout of the first (keys, dense width, labels, weights)');
}

/**
 * Shuffles a stream of encoded examples as `shuffleBuffer` shuffles rows: keeps `bufferSize` examples; every
 * incoming example replaces a uniformly chosen buffered one, which is emitted; at the end the rest of the
 * buffer comes out in random order. Output batches hold `chunkSize` examples (the last one fewer). Every input
 * batch must have the layout of the first (the same keys, dense width, labels and weights).
 */
export async function* shuffleExamples(batches: AsyncIterable<ModelBatch> | Iterable<ModelBatch>, options: ExampleShuffleOptions): AsyncGenerator<ModelBatch, void, undefined> {
  const { bufferSize, seed, chunkSize } = options;
  const slots = new ReservoirSlots(bufferSize, new Rng(seed));
  let store: Rows | undefined;
  let out: Rows | undefined;
  let pending = 0;
  for await (const b of batches) {
    if (b.size === 0) continue;
    if (store === undefined) {
      const layout = layoutOf(b);
      store = new Rows(layout, bufferSize);
      out = new Rows(layout, chunkSize);
    } else sameLayout(store.layout, layoutOf(b));
    const o = out as Rows;
    for (let i = 0; i < b.size; i++) {
      const slot = slots.next();
      if (slots.evicts) {
        o.copy(pending++, store, slot);
        if (pending === chunkSize) {
          yield o.batch(pending);
          pending = 0;
        }
      }
      store.put(slot, b, i);
    }
  }
  if (store === undefined || out === undefined) return;
  for (const slot of slots.rest()) {
    out.copy(pending++, store, slot);
    if (pending === chunkSize) {
      yield out.batch(pending);
      pending = 0;
    }
  }
  if (pending > 0) yield out.batch(pending);
}
