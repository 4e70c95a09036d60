import type { ColumnSchema, ColumnValues, RowChunk } from './types.js';
import { Rng } from '../core/rng.js';
import { ChunkBuilder, allocColumn, copyEntry, schemaOf, takeRows, type ChunkStream, type WritableValues } from './chunk.js';
import { checkKeys, configError, dataError } from './data-errors.js';
import { DEFAULT_CHUNK_SIZE } from './options.js';
import { Utf8Values } from './utf8-values.js';

/** A seeded random permutation of 0..n-1. */
export function permutation(n: number, rng: Rng): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  return rng.shuffle(p);
}

/** All rows in a seeded random order (data that fits in memory). Row numbers travel with their rows. */
export function permuteChunk(chunk: RowChunk, seed: number | Rng): RowChunk {
  const rng = typeof seed === 'number' ? new Rng(seed) : seed;
  return takeRows(chunk, permutation(chunk.numRows, rng));
}

/**
 * The slot choices of a tf.data-style shuffle buffer of `size` entries. `shuffleBuffer` (rows) and
 * `shuffleExamples` (encoded examples, src/train/example-shuffle.ts) both take them from here, so that the
 * same seed gives both the same order. `next()` is the slot of the next incoming entry; `evicts` says whether
 * that slot held an entry, which leaves (is emitted) before the new one goes in. `rest()` is the order in
 * which the entries still held leave at the end.
 */
export class ReservoirSlots {
  private filled = 0;
  evicts = false;

  constructor(
    readonly size: number,
    private readonly rng: Rng,
  ) {}

  next(): number {
    this.evicts = this.filled === this.size;
    return this.evicts ? this.rng.int(this.size) : this.filled++;
  }

  rest(): Int32Array {
    return permutation(this.filled, this.rng);
  }
}

export interface ShuffleBufferOptions {
  /** Rows held in memory; 1 keeps the input order, >= the data size is a full shuffle. */
  readonly bufferSize: number;
  readonly seed: number;
  /** Rows per output chunk. Default 8192. */
  readonly chunkSize?: number;
}

/**
 * Streaming shuffle (as tf.data's `shuffle`): keeps `bufferSize` rows; every incoming row replaces a uniformly
 * chosen buffered row, which is emitted. At the end the rest of the buffer is emitted in random order. Memory
 * is bufferSize rows plus one output chunk, whatever the stream length. Same seed and input, same output.
 */
export async function* shuffleBuffer(chunks: ChunkStream, options: ShuffleBufferOptions): AsyncGenerator<RowChunk, void, undefined> {
  checkKeys(options, ['bufferSize', 'seed', 'chunkSize'], 'shuffleBuffer');
  const { bufferSize, seed } = options;
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  if (!Number.isInteger(bufferSize) || bufferSize < 1) {
    throw configError(`bufferSize must be a positive integer, got ${bufferSize}`, { field: 'bufferSize', fix: 'use e.g. 100000 (rows kept in memory)' });
  }
  const slots = new ReservoirSlots(bufferSize, new Rng(seed));
  let schema: ColumnSchema[] | undefined;
  // Rows land in random slots, so string columns are held as strings here (the output chunks hold strings).
  let store: WritableValues[] = [];
  const storeRows = new Int32Array(bufferSize);
  let out: ChunkBuilder | undefined;
  for await (const chunk of chunks) {
    if (schema === undefined) {
      schema = schemaOf(chunk);
      store = [...chunk.columns.values()].map((v) => (v instanceof Float64Array ? allocColumn('numeric', bufferSize) : allocColumn('categorical', bufferSize)));
      out = new ChunkBuilder(schema, chunkSize, chunk.source);
    }
    const cols = columnsInOrder(chunk, schema);
    // Decode Utf8Values columns in one pass (copyEntry then reads the cached strings).
    for (const col of cols) if (col instanceof Utf8Values) col.strings();
    const builder = out as ChunkBuilder;
    for (let i = 0; i < chunk.numRows; i++) {
      const slot = slots.next();
      if (slots.evicts) {
        builder.append(store, slot, storeRows[slot] as number);
        if (builder.full) yield builder.build();
      }
      for (let c = 0; c < cols.length; c++) copyEntry(store[c] as WritableValues, slot, cols[c] as ColumnValues, i);
      storeRows[slot] = chunk.rowNumbers[i] as number;
    }
  }
  if (out === undefined) return;
  for (const slot of slots.rest()) {
    out.append(store, slot, storeRows[slot] as number);
    if (out.full) yield out.build();
  }
  if (out.length > 0) yield out.build();
}

/** Re-cuts a stream into chunks of exactly `chunkSize` rows (the last one may be shorter). */
export async function* rechunk(chunks: ChunkStream, chunkSize: number): AsyncGenerator<RowChunk, void, undefined> {
  let out: ChunkBuilder | undefined;
  let schema: ColumnSchema[] | undefined;
  for await (const chunk of chunks) {
    schema ??= schemaOf(chunk);
    out ??= new ChunkBuilder(schema, chunkSize, chunk.source);
    const cols = columnsInOrder(chunk, schema);
    let r = 0;
    while (r < chunk.numRows) {
      const end = Math.min(chunk.numRows, r + out.remaining);
      const rows = chunk.rowNumbers;
      let k = r;
      out.appendRange(cols, r, end, () => rows[k++] as number);
      r = end;
      if (out.full) yield out.build();
    }
  }
  if (out !== undefined && out.length > 0) yield out.build();
}

function columnsInOrder(chunk: RowChunk, schema: readonly ColumnSchema[]): ColumnValues[] {
  return schema.map((s) => {
    const values = chunk.columns.get(s.name);
    if (values === undefined || chunk.columns.size !== schema.length) {
      throw dataError('every chunk of a stream must have the same columns', {
        file: chunk.source,
        field: s.name,
        fix: `give every chunk the columns ${schema.map((x) => x.name).join(', ')}`,
      });
    }
    return values;
  });
}
