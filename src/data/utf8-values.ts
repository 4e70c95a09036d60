/**
 * A string column kept as UTF-8 bytes, the form readers give categorical columns in. DuckDB hands its strings
 * over as bytes; turning 26 of them per Criteo row into JS strings, and then hashing those strings again in a
 * Map<string>, was most of the streamed pipeline's time and nearly all its garbage. Kept as bytes, values go
 * from DuckDB's vectors to the feature hash tables without a string in between (see features/slot-table.ts).
 *
 * Value i is `data[offsets[i], offsets[i + 1])`; it is missing (null) where `valid[i] === 0` and then has no
 * bytes. `valid` null: no value is missing. The bytes must be valid UTF-8 (DuckDB VARCHAR values and
 * TextEncoder output are), so that decoding gives back exactly the string that was encoded.
 */
export class Utf8Values {
  readonly length: number;
  private decoded: (string | null)[] | null = null;
  private dataView: DataView | null = null;

  constructor(
    readonly data: Uint8Array,
    readonly offsets: Int32Array,
    readonly valid: Uint8Array | null,
  ) {
    this.length = offsets.length - 1;
  }

  /** Encodes strings (null and undefined = missing). Lone surrogates become U+FFFD, as TextEncoder does. */
  static fromStrings(values: readonly (string | null | undefined)[]): Utf8Values {
    const b = new Utf8Builder(values.length);
    for (const v of values) b.appendString(v ?? null);
    return b.build();
  }

  /** A DataView of `data` (made once), for reading its bytes a word at a time. */
  get view(): DataView {
    this.dataView ??= new DataView(this.data.buffer, this.data.byteOffset, this.data.byteLength);
    return this.dataView;
  }

  isNull(i: number): boolean {
    return this.valid !== null && this.valid[i] === 0;
  }

  /** Value i as a string (null when missing). */
  get(i: number): string | null {
    if (this.decoded !== null) return this.decoded[i] ?? null;
    if (this.isNull(i)) return null;
    return decoder.decode(this.data.subarray(this.offsets[i], this.offsets[i + 1]));
  }

  /**
   * Every value as a string, decoded once and cached: for the code paths that need JS strings (labels, splits,
   * error messages). The array is shared: do not modify it.
   */
  strings(): readonly (string | null)[] {
    this.decoded ??= decodeAll(this);
    return this.decoded;
  }

  /** The values at `indices`, in that order. */
  take(indices: ArrayLike<number>): Utf8Values {
    const n = indices.length;
    const { data, offsets: off, valid } = this;
    let bytes = 0;
    for (let i = 0; i < n; i++) {
      const r = indices[i]!;
      bytes += off[r + 1]! - off[r]!;
    }
    const out = new Uint8Array(bytes);
    const offsets = new Int32Array(n + 1);
    const outValid = valid === null ? null : new Uint8Array(n);
    let at = 0;
    for (let i = 0; i < n; i++) {
      const r = indices[i]!;
      const s = off[r]!;
      const e = off[r + 1]!;
      if (e - s > 16) out.set(data.subarray(s, e), at);
      else for (let j = s; j < e; j++) out[at + j - s] = data[j]!;
      at += e - s;
      offsets[i + 1] = at;
      if (outValid !== null) outValid[i] = valid![r]!;
    }
    return new Utf8Values(out, offsets, outValid);
  }

  /** Values [start, end) (copies). */
  slice(start: number, end: number): Utf8Values {
    const s = Math.max(0, Math.min(start, this.length));
    const e = Math.max(s, Math.min(end, this.length));
    const base = this.offsets[s]!;
    const offsets = new Int32Array(e - s + 1);
    for (let i = s; i <= e; i++) offsets[i - s] = this.offsets[i]! - base;
    return new Utf8Values(this.data.slice(base, this.offsets[e]), offsets, this.valid === null ? null : this.valid.slice(s, e));
  }

  /** The values of every part, one after the other. */
  static concat(parts: readonly Utf8Values[]): Utf8Values {
    const n = parts.reduce((s, p) => s + p.length, 0);
    const b = new Utf8Builder(n, parts.reduce((s, p) => s + p.offsets[p.length]! - p.offsets[0]!, 0));
    for (const p of parts) b.appendRange(p, 0, p.length);
    return b.build();
  }
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** The string of the UTF-8 bytes `data[start, end)`. */
export function decodeUtf8(data: Uint8Array, start: number, end: number): string {
  return decoder.decode(data.subarray(start, end));
}

/**
 * All values as strings. ASCII data (the common case) is decoded in one call and cut into substrings (byte
 * offsets are then character offsets); other data value by value.
 */
function decodeAll(v: Utf8Values): (string | null)[] {
  const { data, offsets, valid } = v;
  const n = v.length;
  const out = new Array<string | null>(n);
  const lo = offsets[0]!;
  const hi = offsets[n]!;
  const all = decoder.decode(data.subarray(lo, hi));
  const ascii = all.length === hi - lo;
  for (let i = 0; i < n; i++) {
    if (valid !== null && valid[i] === 0) out[i] = null;
    else {
      const s = offsets[i]!;
      const e = offsets[i + 1]!;
      out[i] = ascii ? all.slice(s - lo, e - lo) : decoder.decode(data.subarray(s, e));
    }
  }
  return out;
}

/**
 * Appends values into growing buffers and hands out a Utf8Values of exactly the appended rows. `bytesHint`
 * sizes the byte buffer up front (it doubles when it runs out).
 */
export class Utf8Builder {
  private data: Uint8Array;
  private offsets: Int32Array;
  private valid: Uint8Array | null = null;
  private n = 0;
  private used = 0;

  constructor(
    readonly capacity: number,
    bytesHint = capacity * 16,
  ) {
    this.data = new Uint8Array(Math.max(16, bytesHint));
    this.offsets = new Int32Array(capacity + 1);
  }

  get length(): number {
    return this.n;
  }

  /** Appends values [from, to) of `src`. */
  appendRange(src: Utf8Values, from: number, to: number): void {
    const n = this.n;
    const so = src.offsets;
    const base = so[from]!;
    const bytes = so[to]! - base;
    this.reserve(bytes);
    this.data.set(src.data.subarray(base, base + bytes), this.used);
    const shift = this.used - base;
    const off = this.offsets;
    for (let i = from; i < to; i++) off[n + i - from + 1] = so[i + 1]! + shift;
    if (src.valid !== null) {
      this.validMask().set(src.valid.subarray(from, to), n);
    }
    this.used += bytes;
    this.n = n + to - from;
  }

  /** Appends one value of `src`. */
  appendFrom(src: Utf8Values, i: number): void {
    if (src.isNull(i)) return this.appendNull();
    const s = src.offsets[i]!;
    const e = src.offsets[i + 1]!;
    this.reserve(e - s);
    const data = this.data;
    const sd = src.data;
    let at = this.used;
    for (let j = s; j < e; j++) data[at++] = sd[j]!;
    this.used = at;
    this.offsets[++this.n] = at;
  }

  /** Appends a value given as its UTF-8 bytes. */
  appendBytes(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.data.set(bytes, this.used);
    this.used += bytes.length;
    this.offsets[++this.n] = this.used;
  }

  /** Appends a string (null = missing), encoded as UTF-8. */
  appendString(s: string | null): void {
    if (s === null) return this.appendNull();
    // At most 3 bytes per UTF-16 unit.
    this.reserve(s.length * 3);
    const { written } = encoder.encodeInto(s, this.data.subarray(this.used));
    this.used += written;
    this.offsets[++this.n] = this.used;
  }

  appendNull(): void {
    this.validMask()[this.n] = 0;
    this.offsets[this.n + 1] = this.used;
    this.n += 1;
  }

  /**
   * The appended values as views of this builder's own buffers, valid until the next append: for a caller
   * that copies them at once (ChunkBuilder's packed chunks). The builder starts empty again and keeps its
   * buffers.
   */
  takeViews(): Utf8Values {
    const n = this.n;
    const out = new Utf8Values(this.data.subarray(0, this.used), this.offsets.subarray(0, n + 1), this.valid === null ? null : this.valid.subarray(0, n));
    // A mask is made again (all valid) by the next missing value.
    this.valid = null;
    this.n = 0;
    this.used = 0;
    return out;
  }

  /** The appended values; the builder starts empty again (its byte buffer is sized to this chunk's bytes). */
  build(): Utf8Values {
    const n = this.n;
    const out = new Utf8Values(this.data.subarray(0, this.used), this.offsets.subarray(0, n + 1), this.valid === null ? null : this.valid.subarray(0, n));
    this.data = new Uint8Array(Math.max(16, this.used + (this.used >> 3)));
    this.offsets = new Int32Array(this.capacity + 1);
    this.valid = null;
    this.n = 0;
    this.used = 0;
    return out;
  }

  private validMask(): Uint8Array {
    // Every row is valid until marked otherwise (rows appended before the first missing value included).
    this.valid ??= new Uint8Array(this.capacity).fill(1);
    return this.valid;
  }

  private reserve(bytes: number): void {
    const need = this.used + bytes;
    if (need <= this.data.length) return;
    const grown = new Uint8Array(Math.max(need, this.data.length * 2));
    grown.set(this.data.subarray(0, this.used));
    this.data = grown;
  }
}
