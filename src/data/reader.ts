import type { ColumnSchema, RowChunk } from './types.js';
import type { BadRowPolicy, FileFormat, ReadOptions } from './options.js';
import type { ReadSummary, Source } from './source.js';
import { WideDeepError } from '../core/errors.js';
import { ChunkBuilder, concatChunks } from './chunk.js';
import { checkKeys } from './data-errors.js';
import { duckdbInstance, withConnection } from './duckdb.js';
import { DEFAULT_CHUNK_SIZE, validateReadOptions } from './options.js';
import { planCsv } from './csv-source.js';
import { planJsonLines } from './json-source.js';
import { planParquet } from './parquet-source.js';
import { checkComplete, checkNotEmpty, emptySummary, recordBadRow, scanRows, type ScanPlan } from './scan.js';
import { workerChunks } from './scan-pool.js';

/**
 * A planned table: schema fixed (inferred once, overrides applied), scanned any number of times. Every
 * `chunks()` call is a fresh streaming scan on its own DuckDB connection, so memory stays bounded by the chunk
 * size whatever the file size, and one reader can serve every epoch.
 */
export interface TableReader {
  readonly source: string;
  readonly format: FileFormat;
  readonly schema: readonly ColumnSchema[];
  /** Streams the file in chunks of `chunkSize` rows (default: the reader's option, else 8192). */
  chunks(options?: ChunksOptions): AsyncGenerator<RowChunk, void, undefined>;
  /** The whole file as one chunk (small data). */
  readAll(): Promise<RowChunk>;
  /** What the last started scan read and skipped (live while it runs). */
  readonly summary: ReadSummary;
}

export interface ChunksOptions {
  /** Rows per chunk. Default: the reader's chunkSize option, else 8192. */
  readonly chunkSize?: number;
  /**
   * Scan and decode on a worker thread (scan-worker.ts), so that reading overlaps with what the caller does
   * with each chunk. Same chunks, row numbers, values, errors and summary as in this thread. Default false.
   */
  readonly worker?: boolean;
}

/** Everything `readAll` returns: the rows, their schema and the summary of skipped rows. */
export interface ReadResult {
  readonly data: RowChunk;
  readonly schema: readonly ColumnSchema[];
  readonly summary: ReadSummary;
}

/** Validates the options, plans the file (header, kinds) and returns a reader. */
export async function openTable(options: ReadOptions): Promise<TableReader> {
  const format = validateReadOptions(options);
  const planned = await withConnection((con) => {
    if (format === 'parquet') return planParquet(con, options);
    if (format === 'jsonl') return planJsonLines(con, options);
    return planCsv(con, options);
  });
  return new DuckDBTableReader(planned, options.chunkSize ?? DEFAULT_CHUNK_SIZE, options.onBadRow ?? 'error');
}

/** Reads a whole (small) file. */
export async function readAll(options: ReadOptions): Promise<ReadResult> {
  const reader = await openTable(options);
  const data = await reader.readAll();
  return { data, schema: reader.schema, summary: reader.summary };
}

/** Streams a file in chunks; `onSummary` receives the counts of read and skipped rows at the end. */
export async function* readChunks(options: ReadOptions, onSummary?: (summary: ReadSummary) => void): AsyncGenerator<RowChunk, void, undefined> {
  const reader = await openTable(options);
  yield* reader.chunks();
  onSummary?.(reader.summary);
}

class DuckDBTableReader implements TableReader {
  summary: ReadSummary;

  constructor(
    private readonly planned: Source,
    private readonly chunkSize: number,
    private readonly policy: BadRowPolicy,
  ) {
    this.summary = emptySummary(planned.file);
  }

  get source(): string {
    return this.planned.file;
  }

  get format(): FileFormat {
    return this.planned.format;
  }

  get schema(): readonly ColumnSchema[] {
    return this.planned.schema;
  }

  async readAll(): Promise<RowChunk> {
    const parts: RowChunk[] = [];
    for await (const chunk of this.chunks({ chunkSize: 1 << 16 })) parts.push(chunk);
    return concatChunks(parts);
  }

  async *chunks(options: ChunksOptions = {}): AsyncGenerator<RowChunk, void, undefined> {
    checkKeys(options, ['chunkSize', 'worker'], 'chunks');
    const { planned, policy } = this;
    const summary = emptySummary(planned.file);
    this.summary = summary;
    const chunkSize = options.chunkSize ?? this.chunkSize;
    // Checked here too, so that a bad size fails before any scan starts (the builder checks it again).
    new ChunkBuilder(planned.schema, chunkSize, planned.file);
    // Prepared on a connection of its own: a plan is plain data (the scan may run on a worker's DuckDB).
    const setup = await withConnection((con) => planned.prepare(con, policy));
    for (const bad of setup.rejected) recordBadRow(summary, bad);
    const { sql, firstRow, excludedRows } = setup;
    const plan: ScanPlan = { file: planned.file, schema: planned.schema, layout: planned.layout, rowFix: planned.rowFix, policy, chunkSize, sql, firstRow, excludedRows };
    const diagnose = (e: unknown): Promise<Error> => (e instanceof WideDeepError ? Promise.resolve(e) : setup.diagnose(e));
    if (options.worker === true) yield* workerChunks(plan, summary, diagnose);
    else {
      const con = await (await duckdbInstance()).connect();
      try {
        const result = await con.stream(sql).catch(async (e: unknown) => {
          throw await diagnose(e);
        });
        yield* scanRows(result, plan, summary, diagnose);
      } finally {
        con.closeSync();
      }
    }
    await checkComplete(summary, setup, policy);
    checkNotEmpty(summary);
  }
}

