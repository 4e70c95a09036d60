import type { DuckDBDataChunk, DuckDBResult } from '@duckdb/node-api';
import type { ColumnSchema, RowChunk } from './types.js';
import type { BadRowPolicy, FileFormat, ReadOptions } from './options.js';
import type { BadRow, ReadSummary, ScanSetup, Source } from './source.js';
import { WideDeepError } from '../core/errors.js';
import { ChunkBuilder, concatChunks } from './chunk.js';
import { checkKeys, dataError } from './data-errors.js';
import { DecodeBuffers, decodeChunk } from './decode.js';
import { duckdbInstance, withConnection } from './duckdb.js';
import { RowMapper } from './line-scan.js';
import { DEFAULT_CHUNK_SIZE, validateReadOptions } from './options.js';
import { planCsv } from './csv-source.js';
import { planJsonLines } from './json-source.js';
import { planParquet } from './parquet-source.js';
import { MAX_BAD_ROW_EXAMPLES } from './source.js';

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
  chunks(options?: { readonly chunkSize?: number }): AsyncGenerator<RowChunk, void, undefined>;
  /** The whole file as one chunk (small data). */
  readAll(): Promise<RowChunk>;
  /** What the last started scan read and skipped (live while it runs). */
  readonly summary: ReadSummary;
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

  async *chunks(options: { readonly chunkSize?: number } = {}): AsyncGenerator<RowChunk, void, undefined> {
    checkKeys(options, ['chunkSize'], 'chunks');
    const { planned, policy } = this;
    const summary = emptySummary(planned.file);
    this.summary = summary;
    const builder = new ChunkBuilder(planned.schema, options.chunkSize ?? this.chunkSize, planned.file);
    const buffers = new DecodeBuffers();
    const con = await (await duckdbInstance()).connect();
    let pending: Promise<DuckDBDataChunk | null> | undefined;
    try {
      const setup = await planned.prepare(con, policy);
      for (const bad of setup.rejected) record(summary, bad);
      const mapper = new RowMapper(setup.firstRow, setup.excludedRows);
      const result = await con.stream(setup.sql).catch(async (e: unknown) => {
        throw await setup.diagnose(e);
      });
      // Prefetch: DuckDB reads the next chunk on its own thread while this one is decoded.
      pending = nextChunk(result, setup);
      for (;;) {
        const chunk = await pending;
        if (chunk === null) break;
        pending = nextChunk(result, setup);
        const block = decodeChunk(chunk, planned.schema, planned.layout, buffers);
        const problems = block.problems;
        const next = (): number => mapper.next();
        let r = 0;
        while (r < block.n) {
          const problem = problems?.[r];
          if (problem !== undefined) {
            const row = mapper.next();
            r += 1;
            if (problem.silent === true) continue;
            const field = problem.field !== undefined && problem.field !== '' ? { field: problem.field } : {};
            if (policy === 'error') throw dataError(problem.reason, { file: planned.file, row, ...field, fix: planned.rowFix });
            record(summary, { row, reason: problem.reason, ...field });
            continue;
          }
          const limit = Math.min(block.n, r + builder.remaining);
          let end = r + 1;
          while (end < limit && problems?.[end] === undefined) end++;
          builder.appendRange(block.values, r, end, next);
          summary.rowsRead += end - r;
          r = end;
          if (builder.full) yield builder.build();
        }
      }
      if (builder.length > 0) yield builder.build();
      if (summary.rowsRead + summary.rowsSkipped === 0) {
        throw dataError('file has no data rows', { file: planned.file, fix: 'check the path, the header option and skipLines' });
      }
    } finally {
      // A scan stopped early (break or error) may have a fetch in flight: let it land before closing the
      // connection under it. Its outcome no longer matters, so a failure there is dropped on purpose.
      await pending?.then(
        () => undefined,
        () => undefined,
      );
      con.closeSync();
    }
  }
}

async function nextChunk(result: DuckDBResult, setup: ScanSetup): Promise<DuckDBDataChunk | null> {
  let chunk: DuckDBDataChunk | null;
  try {
    chunk = await result.fetchChunk();
  } catch (e) {
    throw e instanceof WideDeepError ? e : await setup.diagnose(e);
  }
  return chunk === null || chunk.rowCount === 0 ? null : chunk;
}

function emptySummary(source: string): ReadSummary {
  return { source, rowsRead: 0, rowsSkipped: 0, badRows: [] };
}

function record(summary: ReadSummary, bad: BadRow): void {
  summary.rowsSkipped += 1;
  if (summary.badRows.length < MAX_BAD_ROW_EXAMPLES) summary.badRows.push(bad);
}
