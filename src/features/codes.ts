import type { RowChunk } from '../data/types.js';
import { decodeUtf8, Utf8Values } from '../data/utf8-values.js';
import { listColumn, listItems, numericColumn, scalarColumn } from './chunk-access.js';
import { hashBucket, murmur3String, murmur3View } from './hash.js';
import type { IdFunction } from './id-function.js';
import { ByteSlotTable } from './slot-table.js';
import { countAtOrBelow } from './stats.js';

export { idFunction, NO_ID, type IdFunction } from './id-function.js';

/**
 * Value -> id encoders for categorical-like columns, built for the transform hot path: every distinct value
 * gets a slot once (one hash-table lookup per row after that), and the slot holds the value's id, its murmur3
 * hash and its token string, which crossed columns read. Nothing is allocated per row.
 */

/**
 * The values of the selected rows of one column as slots, and their ids. Single-valued columns: one slot per
 * row (-1 = missing) and `offsets` null. Multi-valued columns: the slots of every item, row i's items at
 * `[offsets[i], offsets[i + 1])` (an empty or missing list has none).
 */
export interface SlotBatch {
  readonly ids: Int32Array;
  /** Empty (NO_SLOTS) for a hashed column no cross reads (CategoricalCodes' `directBuckets`). */
  readonly slots: Int32Array;
  readonly offsets: Int32Array | null;
}

/** The slots of a column whose slots nobody reads. */
const NO_SLOTS = new Int32Array(0);

/** A column that crossed columns can read: per-slot hashes and tokens. */
export interface SlotCodes {
  encode(chunk: RowChunk, rows: Int32Array | null, n: number): SlotBatch;
  /** murmur3String(token) of each slot. */
  readonly slotHash: readonly number[];
  /** The value slot `slot` stands for, as crossed vocabularies store it. */
  tokenOf(slot: number): string;
}

/**
 * Distinct values kept per column before the slot cache is cleared (at a chunk boundary). It bounds the
 * memory of streaming transforms over high-cardinality columns (26 Criteo columns x 65,536 values), so
 * memory does not grow with the file; frequent values are back in the cache within a chunk.
 */
export const SLOT_CACHE_LIMIT = 1 << 16;

/**
 * Slots of the values of a categorical column: strings as they are, numbers as `String(x)`, UTF-8 bytes
 * (Utf8Values) as the string they decode to. Each form has its own index (`byString`, `byNumber`, `byBytes`).
 * A value met as bytes is not decoded unless its id needs the string (`idOf` without `ofBytes`) or its token
 * is asked for; a value met in two forms may then have two slots, which give the same id, hash and token (fit
 * merges their counts by token).
 */
export class CategoricalCodes implements SlotCodes {
  private readonly byString = new Map<string, number>();
  private readonly byNumber = new Map<number, number>();
  private readonly byBytes = new ByteSlotTable();
  readonly slotId: number[] = [];
  readonly slotHash: number[] = [];
  /** Token of each slot; undefined for a slot made from bytes until `tokenOf` decodes it. */
  private readonly slotToken: (string | undefined)[] = [];

  /** Hash buckets of a hashed column whose slots nobody reads (no cross): UTF-8 values skip the slot table. */
  private readonly directBuckets: number;

  constructor(
    private readonly source: string,
    private readonly column: string,
    private readonly idOf: IdFunction,
    options: { readonly directBuckets?: number } = {},
  ) {
    this.directBuckets = options.directBuckets ?? 0;
  }

  slotOfString(s: string): number {
    let k = this.byString.get(s);
    if (k === undefined) {
      const h = murmur3String(s);
      k = this.add(this.idOf(s, h), h, s);
      this.byString.set(s, k);
    }
    return k;
  }

  slotOfNumber(x: number): number {
    let k = this.byNumber.get(x);
    if (k === undefined) {
      const token = String(x);
      const h = murmur3String(token);
      k = this.add(this.idOf(token, h), h, token);
      this.byNumber.set(x, k);
    }
    return k;
  }

  /** The slot of the value `data[start, end)` (UTF-8), made on its first appearance. */
  slotOfBytes(data: Uint8Array, start: number, end: number): number {
    const table = this.byBytes;
    const found = table.lookup(data, start, end);
    if (found >= 0) return found;
    const h = table.lastMissHash;
    const ofBytes = this.idOf.ofBytes;
    const token = ofBytes === undefined ? decodeUtf8(data, start, end) : undefined;
    const id = ofBytes !== undefined ? ofBytes(data, start, end, h) : this.idOf(token as string, h);
    const k = table.insert(data, start, end, id);
    this.slotId.push(id);
    this.slotHash.push(h);
    this.slotToken.push(token);
    return k;
  }

  tokenOf(slot: number): string {
    let t = this.slotToken[slot];
    if (t === undefined) {
      t = this.byBytes.keyString(slot);
      this.slotToken[slot] = t;
    }
    return t;
  }

  /** The token of every slot, in slot order. */
  tokens(): string[] {
    return this.slotId.map((_, k) => this.tokenOf(k));
  }

  /** A slot made from a string or a number (its slot number is also taken in `byBytes`, whose slots are these). */
  private add(id: number, hash: number, token: string): number {
    this.byBytes.skip();
    this.slotId.push(id);
    this.slotHash.push(hash);
    this.slotToken.push(token);
    return this.slotId.length - 1;
  }

  /** Clears the cache when it has grown past the limit; call only between chunks (slots change). */
  trim(): void {
    if (this.slotId.length <= SLOT_CACHE_LIMIT) return;
    this.byString.clear();
    this.byNumber.clear();
    this.byBytes.clear();
    this.slotId.length = 0;
    this.slotHash.length = 0;
    this.slotToken.length = 0;
  }

  encode(chunk: RowChunk, rows: Int32Array | null, n: number): SlotBatch {
    const values = scalarColumn(chunk, this.source, this.column);
    const ids = new Int32Array(n);
    if (values instanceof Utf8Values && this.directBuckets > 0) {
      // Ids straight from the bytes' hash; no slots (nobody reads them).
      const { data, offsets, valid } = values;
      const view = values.view;
      const buckets = this.directBuckets;
      for (let i = 0; i < n; i++) {
        const r = rows === null ? i : rows[i]!;
        if (valid !== null && valid[r] === 0) continue;
        ids[i] = hashBucket(murmur3View(view, data, offsets[r]!, offsets[r + 1]!), buckets);
      }
      return { ids, slots: NO_SLOTS, offsets: null };
    }
    const slots = new Int32Array(n);
    const slotId = this.slotId;
    if (values instanceof Float64Array) {
      for (let i = 0; i < n; i++) {
        const x = values[rows === null ? i : rows[i]!]!;
        const k = x !== x ? -1 : this.slotOfNumber(x);
        slots[i] = k;
        ids[i] = k < 0 ? 0 : slotId[k]!;
      }
    } else if (values instanceof Utf8Values) {
      const { data, offsets, valid } = values;
      const table = this.byBytes;
      for (let i = 0; i < n; i++) {
        const r = rows === null ? i : rows[i]!;
        if (valid !== null && valid[r] === 0) {
          slots[i] = -1;
          continue;
        }
        const k = this.slotOfBytes(data, offsets[r]!, offsets[r + 1]!);
        slots[i] = k;
        ids[i] = table.idAt(k);
      }
    } else {
      for (let i = 0; i < n; i++) {
        const s = values[rows === null ? i : rows[i]!];
        const k = s === null || s === undefined ? -1 : this.slotOfString(s);
        slots[i] = k;
        ids[i] = k < 0 ? 0 : slotId[k]!;
      }
    }
    return { ids, slots, offsets: null };
  }
}

/** Bucketized numbers: slot j = bucket j (j boundaries at or below the value), id j + 1; missing -> slot -1, id 0. */
export class BucketCodes implements SlotCodes {
  private readonly boundaries: Float64Array;
  readonly slotHash: number[];
  readonly slotToken: string[];

  constructor(
    private readonly source: string,
    private readonly column: string,
    boundaries: readonly number[],
  ) {
    this.boundaries = Float64Array.from(boundaries);
    this.slotToken = Array.from({ length: boundaries.length + 1 }, (_, j) => String(j + 1));
    this.slotHash = this.slotToken.map((t) => murmur3String(t));
  }

  tokenOf(slot: number): string {
    return this.slotToken[slot]!;
  }

  encode(chunk: RowChunk, rows: Int32Array | null, n: number): SlotBatch {
    const values = numericColumn(chunk, this.source, this.column);
    const b = this.boundaries;
    const ids = new Int32Array(n);
    const slots = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const x = values[rows === null ? i : rows[i]!]!;
      const j = x !== x ? -1 : countAtOrBelow(b, x);
      slots[i] = j;
      ids[i] = j + 1;
    }
    return { ids, slots, offsets: null };
  }
}

/** Items of a multi-valued column: every item of every row gets its slot of `codes`, in list order. */
export class ListCodes implements SlotCodes {
  constructor(
    readonly codes: CategoricalCodes,
    private readonly source: string,
    private readonly column: string,
    private readonly separator: string | null,
  ) {}

  get slotHash(): readonly number[] {
    return this.codes.slotHash;
  }

  tokenOf(slot: number): string {
    return this.codes.tokenOf(slot);
  }

  encode(chunk: RowChunk, rows: Int32Array | null, n: number): SlotBatch {
    const values = listColumn(chunk, this.source, this.column, this.separator);
    const codes = this.codes;
    const slotId = codes.slotId;
    const offsets = new Int32Array(n + 1);
    let slots = new Int32Array(Math.max(16, n * 2));
    let k = 0;
    for (let i = 0; i < n; i++) {
      const items = listItems(values[rows === null ? i : rows[i]!] ?? null, this.separator);
      if (k + items.length > slots.length) {
        const grown = new Int32Array(Math.max(slots.length * 2, k + items.length));
        grown.set(slots);
        slots = grown;
      }
      for (let j = 0; j < items.length; j++) slots[k++] = codes.slotOfString(items[j]!);
      offsets[i + 1] = k;
    }
    const ids = new Int32Array(k);
    for (let j = 0; j < k; j++) ids[j] = slotId[slots[j]!]!;
    return { ids, slots: slots.subarray(0, k), offsets };
  }
}

/**
 * Sequences: the last `length` items of every row, left-aligned and padded with 0 to `length`, and the
 * number of real items of every row.
 */
export function encodeSequences(
  chunk: RowChunk,
  rows: Int32Array | null,
  n: number,
  codes: CategoricalCodes,
  source: string,
  column: string,
  separator: string | null,
  length: number,
): { ids: Int32Array; lengths: Int32Array } {
  const values = listColumn(chunk, source, column, separator);
  const ids = new Int32Array(n * length);
  const lengths = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const items = listItems(values[rows === null ? i : rows[i]!] ?? null, separator);
    const start = Math.max(0, items.length - length);
    const base = i * length;
    for (let j = start; j < items.length; j++) ids[base + j - start] = codes.slotId[codes.slotOfString(items[j]!)]!;
    lengths[i] = items.length - start;
  }
  return { ids, lengths };
}

