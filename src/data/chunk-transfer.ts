import type { ColumnValues, RowChunk } from './types.js';
import { WideDeepError, type ErrorCode, type ErrorDetails } from '../core/errors.js';
import { Utf8Values } from './utf8-values.js';

/**
 * RowChunks and errors as messages between threads. A chunk's typed arrays travel by transfer (no copy: the
 * sending side gives them up, which a reader can, since its ChunkBuilder allocates fresh arrays for every
 * chunk); list and string-array columns are structured-cloned. Utf8Values and WideDeepError are classes, which
 * structured cloning does not keep, so they travel as their fields and are rebuilt on arrival.
 */
export interface PackedChunk {
  readonly numRows: number;
  readonly source: string;
  readonly rowNumbers: Int32Array;
  readonly columns: readonly (readonly [string, PackedValues])[];
}

type PackedValues =
  | { readonly kind: 'utf8'; readonly data: Uint8Array; readonly offsets: Int32Array; readonly valid: Uint8Array | null }
  | { readonly kind: 'plain'; readonly values: Exclude<ColumnValues, Utf8Values> };

/** A chunk as a message, and the buffers to transfer with it (each once). */
export function packChunk(chunk: RowChunk): { packed: PackedChunk; transfer: ArrayBuffer[] } {
  const buffers = new Set<ArrayBuffer>([chunk.rowNumbers.buffer as ArrayBuffer]);
  const columns = [...chunk.columns].map(([name, values]): [string, PackedValues] => {
    if (values instanceof Utf8Values) {
      buffers.add(values.data.buffer as ArrayBuffer).add(values.offsets.buffer as ArrayBuffer);
      if (values.valid !== null) buffers.add(values.valid.buffer as ArrayBuffer);
      return [name, { kind: 'utf8', data: values.data, offsets: values.offsets, valid: values.valid }];
    }
    if (values instanceof Float64Array) buffers.add(values.buffer as ArrayBuffer);
    return [name, { kind: 'plain', values }];
  });
  return { packed: { numRows: chunk.numRows, source: chunk.source, rowNumbers: chunk.rowNumbers, columns }, transfer: [...buffers] };
}

export function unpackChunk(packed: PackedChunk): RowChunk {
  const columns = new Map<string, ColumnValues>();
  for (const [name, v] of packed.columns) columns.set(name, v.kind === 'utf8' ? new Utf8Values(v.data, v.offsets, v.valid) : v.values);
  return { numRows: packed.numRows, source: packed.source, rowNumbers: packed.rowNumbers, columns };
}

/**
 * An error as a message. `fetch`: DuckDB failed while scanning; the receiving side owns the Source and turns
 * it into an error naming the bad row (Source diagnose), as the in-thread scan does.
 */
export type PackedError =
  | { readonly kind: 'widedeep'; readonly code: ErrorCode; readonly reason: string; readonly details: ErrorDetails; readonly stack?: string }
  | { readonly kind: 'fetch' | 'other'; readonly message: string; readonly stack?: string };

export function packError(e: unknown, kind: 'fetch' | 'other'): PackedError {
  const stack = e instanceof Error && e.stack !== undefined ? { stack: e.stack } : {};
  if (e instanceof WideDeepError) return { kind: 'widedeep', code: e.code, reason: e.reason, details: { ...e.details }, ...stack };
  return { kind, message: e instanceof Error ? e.message : String(e), ...stack };
}

/** The error again (a WideDeepError with the same code, reason and details); `fetch` errors as plain Errors. */
export function unpackError(p: PackedError): Error {
  const e = p.kind === 'widedeep' ? new WideDeepError(p.code, p.reason, p.details) : new Error(p.message);
  if (p.stack !== undefined) e.stack = p.stack;
  return e;
}
