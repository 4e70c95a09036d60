import { DuckDBBlobVector, type DuckDBDataChunk } from '@duckdb/node-api';
import { rawVector, readPointer, stringStructs, validityBytes } from './duckdb-vectors.js';
import { Utf8Builder, Utf8Values } from './utf8-values.js';

/**
 * String columns of a scan, decoded from DuckDB's vectors to Utf8Values without building a JS string.
 *
 * The scan gives every string column as BLOB (`encode`: its UTF-8 bytes as they are, at no cost in DuckDB;
 * BLOB vectors have a public accessor to a value's bytes). A vector holds one 16-byte string_t per value: a
 * uint32 length, then the bytes themselves when there are at most 12 (Criteo's 8-hex-digit ids, most category
 * names), else a 4-byte prefix and a pointer into DuckDB's string heap. Short values are copied straight from
 * those structs. Long ones are read a run at a time (readLongRuns): one call into the bindings per run of
 * neighbouring values instead of one per value (~0.5 us each). The old path, which packed a row's strings into
 * one VARCHAR in SQL and split it in JS, cost DuckDB ~0.5-0.8 us per row of its own.
 */

/** Longest value DuckDB stores inside its string_t struct. */
const INLINE_MAX = 12;
/** Largest gap between neighbouring long values that a run reads along (well under any page size). */
const GAP_MAX = 1024;
/** Most bytes one run reads (a longer value is a run of its own). */
const RUN_MAX = 1 << 20;

/** SQL of one string column of the scan. */
export function stringColumnSql(expr: string): string {
  return `encode(${expr})`;
}

/**
 * Decodes column `col` of one result chunk, string column `k` of the scan (a BLOB vector, as `stringColumnSql`
 * makes it), into `buffers`.
 */
export function decodeStringColumn(chunk: DuckDBDataChunk, col: number, n: number, k: number, buffers: DecodeBuffers): Utf8Values {
  const vector = (): DuckDBBlobVector => {
    const vec = chunk.getColumnVector(col);
    if (!(vec instanceof DuckDBBlobVector)) throw new TypeError(`expected a BLOB vector from the scan, got ${vec.type.toString()}`);
    return vec;
  };
  const raw = rawVector(chunk, col, n * 16, n);
  if (raw !== undefined && raw.data.byteOffset % 4 === 0) {
    const i32 = new Int32Array(raw.data.buffer, raw.data.byteOffset, n * 4);
    return decodeStructs(vector, raw.data, i32, raw.mask, n, k, buffers);
  }
  const vec = vector();
  const structs = stringStructs(vec, n);
  const mask = validityBytes(vec, n);
  return structs !== undefined && mask !== undefined ? decodeStructs(() => vec, structs.u8, structs.i32, mask, n, k, buffers) : decodeSlow(vec, n);
}

/** `vector`: the column as node-api's vector object, made only for a long value the bindings cannot read. */
function decodeStructs(vector: () => DuckDBBlobVector, u8: Uint8Array, i32: Int32Array, mask: Uint8Array | null, n: number, k: number, buffers: DecodeBuffers): Utf8Values {
  // Room for every value inline (12 bytes each, the slack of the word copies below included); a long value
  // makes room for itself.
  let data = buffers.bytes(k, n * INLINE_MAX + INLINE_MAX);
  let view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const offsets = buffers.offsets(k, n + 1);
  const valid = mask === null ? null : buffers.valid(k, n);
  const runOf = buffers.runOf(n);
  const runAt = buffers.runAt(n);
  // Read at the first long value, for it and every later one.
  let runs: Uint8Array[] | null | undefined;
  let at = 0;
  for (let r = 0; r < n; r++) {
    // The struct of a NULL may hold anything: not read.
    if (valid !== null) valid[r] = (mask![r >> 3]! >> (r & 7)) & 1;
    if (valid === null || valid[r] === 1) {
      const len = i32[r * 4]!;
      if (len <= INLINE_MAX) {
        // The bytes follow the length in the struct: copied as three words, whatever the length (the bytes
        // past the value are overwritten by the next one, or cut off).
        view.setInt32(at, i32[r * 4 + 1]!, true);
        view.setInt32(at + 4, i32[r * 4 + 2]!, true);
        view.setInt32(at + 8, i32[r * 4 + 3]!, true);
      } else {
        if (at + len + (n - r) * INLINE_MAX > data.length) {
          data = buffers.grow(k, at, at + len + (n - r) * INLINE_MAX);
          view = new DataView(data.buffer, data.byteOffset, data.byteLength);
        }
        if (runs === undefined) runs = readLongRuns(u8, i32, mask, r, n, runOf, runAt);
        const run = runs === null ? undefined : runs[runOf[r]!];
        if (run === undefined) data.set(vector().getItemBytes(r) as Uint8Array, at);
        else {
          const s = runAt[r]!;
          for (let j = 0; j < len; j++) data[at + j] = run[s + j]!;
        }
      }
      at += len;
    }
    offsets[r + 1] = at;
  }
  return new Utf8Values(data.subarray(0, at), offsets, valid);
}

/**
 * The long values (> 12 bytes) of a vector, fetched a run at a time; null when the bindings' pointer reader is
 * not at hand. DuckDB writes a vector's long values one after the other into its string heap (Adult: 1 to 3
 * runs per 2048 values, with no gap), so a run holds every next value that starts at most GAP_MAX bytes past
 * the run's end (or inside it), up to RUN_MAX bytes. A run is read with one `get_data_from_pointer` from its
 * first value's pointer.
 * Every byte read lies in a value or in a gap under GAP_MAX between two values, hence on a page that also
 * holds value bytes: nothing outside memory DuckDB has mapped is read. Sets, for each long row r from row
 * `from` on, runOf[r] (its run) and runAt[r] (its offset in the run's bytes).
 */
function readLongRuns(u8: Uint8Array, i32: Int32Array, mask: Uint8Array | null, from: number, n: number, runOf: Int32Array, runAt: Int32Array): Uint8Array[] | null {
  const read = readPointer();
  if (read === null) return null;
  const runs: Uint8Array[] = [];
  let first = -1;
  let start = 0;
  let end = 0;
  const flush = (): boolean => {
    const bytes = read(u8.buffer, u8.byteOffset + first * 16 + 8, end - start);
    runs.push(bytes);
    return bytes.length === end - start;
  };
  for (let r = from; r < n; r++) {
    const len = i32[r * 4]!;
    if (len <= INLINE_MAX || (mask !== null && ((mask[r >> 3]! >> (r & 7)) & 1) === 0)) continue;
    const ptr = (i32[r * 4 + 2]! >>> 0) + (i32[r * 4 + 3]! >>> 0) * 4294967296;
    if (first >= 0 && ptr >= start && ptr <= end + GAP_MAX && ptr + len - start <= RUN_MAX) end = Math.max(end, ptr + len);
    else {
      if (first >= 0 && !flush()) return null;
      first = r;
      start = ptr;
      end = ptr + len;
    }
    runOf[r] = runs.length;
    runAt[r] = ptr - start;
  }
  return first < 0 || flush() ? runs : null;
}

/**
 * Buffers that decoding writes into, reused from one result chunk to the next: the reader copies every block
 * into its ChunkBuilder before decoding the next, and allocating them per chunk made the garbage collector 15%
 * of a Criteo read. Per column (by its index among the columns of its kind), grown when too small.
 */
export class DecodeBuffers {
  private readonly f64: Float64Array[] = [];
  private readonly u8: Uint8Array[] = [];
  private readonly i32: Int32Array[] = [];
  private readonly mask: Uint8Array[] = [];
  private longRun = new Int32Array(0);
  private longAt = new Int32Array(0);

  /** A Float64Array of n values for numeric column k. */
  doubles(k: number, n: number): Float64Array {
    let a = this.f64[k];
    if (a === undefined || a.length < n) this.f64[k] = a = new Float64Array(n);
    return a.length === n ? a : a.subarray(0, n);
  }

  /** At least n bytes for string column k (contents undefined). */
  bytes(k: number, n: number): Uint8Array {
    let a = this.u8[k];
    if (a === undefined || a.length < n) this.u8[k] = a = new Uint8Array(n);
    return a;
  }

  /** The bytes of string column k grown to at least n, its first `keep` bytes kept. */
  grow(k: number, keep: number, n: number): Uint8Array {
    const old = this.u8[k];
    const a = new Uint8Array(Math.max(n, (old?.length ?? 0) * 2));
    if (old !== undefined) a.set(old.subarray(0, keep));
    this.u8[k] = a;
    return a;
  }

  /** n offsets for string column k, the first one 0. */
  offsets(k: number, n: number): Int32Array {
    let a = this.i32[k];
    if (a === undefined || a.length < n) this.i32[k] = a = new Int32Array(n);
    return a.length === n ? a : a.subarray(0, n);
  }

  /** Run of each long value, and its offset in the run (readLongRuns), for the string column being decoded. */
  runOf(n: number): Int32Array {
    if (this.longRun.length < n) this.longRun = new Int32Array(n);
    return this.longRun;
  }

  runAt(n: number): Int32Array {
    if (this.longAt.length < n) this.longAt = new Int32Array(n);
    return this.longAt;
  }

  /** n validity bytes for string column k (contents undefined). */
  valid(k: number, n: number): Uint8Array {
    let a = this.mask[k];
    if (a === undefined || a.length < n) this.mask[k] = a = new Uint8Array(n);
    return a.length === n ? a : a.subarray(0, n);
  }
}

/** Every value through the public accessor (a vector without the expected private fields). */
function decodeSlow(vec: DuckDBBlobVector, n: number): Utf8Values {
  const b = new Utf8Builder(n);
  for (let r = 0; r < n; r++) {
    const bytes = vec.getItemBytes(r);
    if (bytes === null) b.appendNull();
    else b.appendBytes(bytes);
  }
  return b.build();
}
