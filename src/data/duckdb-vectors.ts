import { createRequire } from 'node:module';
import type { DuckDBDataChunk, DuckDBVector } from '@duckdb/node-api';

/**
 * Raw views of DuckDB result vectors, for decoding whole vectors instead of calling `getItem` per value (which
 * costs a method call, a validity test with BigInt arithmetic and, for strings, a TextDecoder call each).
 *
 * The views are fields that @duckdb/node-api keeps on its vector classes but types as private: `items` (the
 * values of a numeric vector), `dataView` (the 16-byte string_t structs of a VARCHAR/BLOB vector) and
 * `validity.data` (DuckDB's validity mask, one bit per value). This is the one module that reads them. Each
 * accessor checks what it finds and returns undefined when a field is not there as expected (another version
 * of the package), and callers then decode through the public API, so a change there costs speed, never values.
 *
 * Every view points into the memory of the DuckDB chunk: valid while the chunk is, and to be copied from.
 *
 * `readPointer` is the bindings' own `get_data_from_pointer` (what `getItemBytes` calls for a value longer
 * than 12 bytes), reached through @duckdb/node-api's dependency on @duckdb/node-bindings. `rawVector` reads a
 * column of a result chunk through the same bindings (`data_chunk_get_vector`, `vector_get_data`,
 * `vector_get_validity`: the calls node-api makes when it builds a vector object), skipping node-api's vector
 * and validity objects, which cost as much again as the calls themselves (~0.15 us per Criteo row).
 */

/** The values of a DOUBLE vector (meaningless where the value is NULL), or undefined. */
export function doubleItems(vec: DuckDBVector, n: number): Float64Array | undefined {
  const items = (vec as unknown as { items?: unknown }).items;
  return items instanceof Float64Array && items.length === n ? items : undefined;
}

/**
 * The validity mask of a vector as bytes (value i is valid where bit i & 7 of byte i >> 3 is set), null when
 * every value is valid (DuckDB then has no mask), or undefined when it cannot be read.
 */
export function validityBytes(vec: DuckDBVector, n: number): Uint8Array | null | undefined {
  const validity = (vec as unknown as { validity?: { data?: unknown; offset?: unknown } }).validity;
  if (validity === undefined || validity === null || validity.offset !== 0) return undefined;
  const data = validity.data;
  if (data === null) return null;
  if (!(data instanceof BigUint64Array) || data.length * 64 < n) return undefined;
  return new Uint8Array(data.buffer, data.byteOffset, Math.ceil(n / 8));
}

/** Whether value i is valid under a mask from `validityBytes`. */
export function isValid(mask: Uint8Array | null, i: number): boolean {
  return mask === null || (mask[i >> 3]! & (1 << (i & 7))) !== 0;
}

/**
 * The string_t structs of a VARCHAR or BLOB vector, as bytes and as int32 words (word 4i is the length of value
 * i; its bytes follow from byte 16i + 4 when there are at most 12), or undefined.
 */
export function stringStructs(vec: DuckDBVector, n: number): { readonly u8: Uint8Array; readonly i32: Int32Array } | undefined {
  const dv = (vec as unknown as { dataView?: unknown }).dataView;
  if (!(dv instanceof DataView) || dv.byteLength < n * 16 || dv.byteOffset % 4 !== 0) return undefined;
  return { u8: new Uint8Array(dv.buffer, dv.byteOffset, n * 16), i32: new Int32Array(dv.buffer, dv.byteOffset, n * 4) };
}

/** `get_data_from_pointer(buffer, offset, n)`: the n bytes at the pointer stored at `offset` of `buffer`. */
export type PointerReader = (buffer: ArrayBufferLike, offset: number, n: number) => Uint8Array;

/** The functions of @duckdb/node-bindings used here (its handles are opaque objects). */
interface Bindings {
  readonly get_data_from_pointer: PointerReader;
  readonly data_chunk_get_vector: (chunk: object, column: number) => object;
  readonly vector_get_data: (vector: object, bytes: number) => Uint8Array;
  readonly vector_get_validity: (vector: object, bytes: number) => Uint8Array | null | undefined;
}

let bindings: Bindings | null | undefined;

function loadBindings(): Bindings | null {
  if (bindings === undefined) {
    try {
      const api = createRequire(import.meta.url).resolve('@duckdb/node-api');
      const b = createRequire(api)('@duckdb/node-bindings') as Record<string, unknown>;
      const names = ['get_data_from_pointer', 'data_chunk_get_vector', 'vector_get_data', 'vector_get_validity'];
      bindings = names.every((f) => typeof b[f] === 'function') ? (b as unknown as Bindings) : null;
    } catch {
      // Another layout of the packages: values are read through the public API.
      bindings = null;
    }
  }
  return bindings;
}

/** The bindings' pointer reader, or null when it cannot be found (callers then use `getItemBytes`). */
export function readPointer(): PointerReader | null {
  return loadBindings()?.get_data_from_pointer ?? null;
}

/**
 * Column `column` of a result chunk as raw bytes: `data`, the vector's first `bytes` bytes (n values of a
 * fixed-width type: 8 per DOUBLE, 16 per string_t), and `mask`, its validity bytes as `validityBytes` gives
 * them (null when every value is valid). Undefined when the bindings or the chunk's handle are not at hand.
 */
export function rawVector(chunk: DuckDBDataChunk, column: number, bytes: number, n: number): { readonly data: Uint8Array; readonly mask: Uint8Array | null } | undefined {
  const b = loadBindings();
  const handle = (chunk as unknown as { chunk?: unknown }).chunk;
  if (b === null || typeof handle !== 'object' || handle === null) return undefined;
  const vector = b.data_chunk_get_vector(handle, column);
  const data = b.vector_get_data(vector, bytes);
  if (!(data instanceof Uint8Array) || data.length !== bytes) return undefined;
  const validity = b.vector_get_validity(vector, Math.ceil(n / 64) * 8);
  if (validity === null || validity === undefined) return { data, mask: null };
  return validity instanceof Uint8Array ? { data, mask: validity.subarray(0, Math.ceil(n / 8)) } : undefined;
}
