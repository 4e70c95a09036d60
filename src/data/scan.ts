import type { DuckDBDataChunk, DuckDBResult } from '@duckdb/node-api';
import type { ColumnSchema, RowChunk } from './types.js';
import type { BadRowPolicy } from './options.js';
import type { BadRow, ReadSummary, ScanSetup } from './source.js';
import type { DecodeLayout } from './decode.js';
import { ChunkBuilder } from './chunk.js';
import { dataError } from './data-errors.js';
import { DecodeBuffers, decodeChunk } from './decode.js';
import { RowMapper, rowNumberAt } from './line-scan.js';
import { MAX_BAD_ROW_EXAMPLES } from './source.js';

/**
 * Everything one scan needs after `Source.prepare`, as plain data: the scan loop runs on this alone, so the
 * same plan runs in the calling thread or is posted to a scan worker (scan-pool.ts).
 */
export interface ScanPlan {
  readonly file: string;
  readonly schema: readonly ColumnSchema[];
  readonly layout: DecodeLayout;
  readonly rowFix: string;
  readonly policy: BadRowPolicy;
  readonly chunkSize: number;
  /** The SQL and row numbering of ScanSetup. */
  readonly sql: string;
  readonly firstRow: number;
  readonly excludedRows: readonly number[];
}

/**
 * The rows of a scan's result as RowChunks of `plan.chunkSize` rows: DuckDB chunks decoded, rows with a
 * problem recorded in `summary` (or thrown under 'error'), good rows numbered and cut into chunks.
 * `fetchError` turns a failed fetch into the error to throw. The caller owns the connection; when the
 * generator ends (also by return() or an error) no fetch is left in flight, so the caller may close it.
 */
export async function* scanRows(
  result: DuckDBResult,
  plan: ScanPlan,
  summary: ReadSummary,
  fetchError: (e: unknown) => Promise<unknown>,
): AsyncGenerator<RowChunk, void, undefined> {
  const { policy, file } = plan;
  const builder = new ChunkBuilder(plan.schema, plan.chunkSize, file, { packed: true });
  const buffers = new DecodeBuffers();
  const mapper = new RowMapper(plan.firstRow, plan.excludedRows);
  const next = (): number => mapper.next();
  const fetch = async (): Promise<DuckDBDataChunk | null> => {
    let chunk: DuckDBDataChunk | null;
    try {
      chunk = await result.fetchChunk();
    } catch (e) {
      throw await fetchError(e);
    }
    return chunk === null || chunk.rowCount === 0 ? null : chunk;
  };
  // Prefetch: DuckDB reads the next chunk on its own thread while this one is decoded.
  let pending: Promise<DuckDBDataChunk | null> | undefined = fetch();
  try {
    for (;;) {
      let chunk: DuckDBDataChunk | null;
      try {
        chunk = await pending;
      } catch (e) {
        // The good rows before a failed fetch come first (a caller such as predict keeps what it got).
        if (builder.length > 0) yield builder.build();
        throw e;
      }
      if (chunk === null) break;
      pending = fetch();
      const block = decodeChunk(chunk, plan.schema, plan.layout, buffers);
      const problems = block.problems;
      let r = 0;
      while (r < block.n) {
        const problem = problems?.[r];
        if (problem !== undefined) {
          const row = mapper.next();
          r += 1;
          const field = problem.field !== undefined && problem.field !== '' ? { field: problem.field } : {};
          if (policy === 'error') {
            if (builder.length > 0) yield builder.build();
            throw dataError(problem.reason, { file, row, ...field, fix: plan.rowFix });
          }
          recordBadRow(summary, { row, reason: problem.reason, ...field });
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
    pending = undefined;
    if (builder.length > 0) yield builder.build();
  } finally {
    // A scan stopped early (break or error) may have a fetch in flight: let it land before the caller closes
    // the connection under it. Its outcome no longer matters, so a failure there is dropped on purpose.
    await pending?.then(
      () => undefined,
      () => undefined,
    );
  }
}

/**
 * Proves a finished scan complete: rows read + rows skipped must equal the data rows the file has, counted
 * apart from the scan (`ScanSetup.expectedRows`). DuckDB's streaming result can end early without an error
 * (a malformed CSV row past its first chunks), so the scan's own end proves nothing. Under 'error' a scan
 * that ended early is explained by the first row DuckDB's checks reject; otherwise the error names the first
 * row the scan did not account for.
 */
export async function checkComplete(summary: ReadSummary, setup: ScanSetup, policy: BadRowPolicy): Promise<void> {
  const accounted = summary.rowsRead + summary.rowsSkipped;
  const expected = setup.expectedRows;
  if (accounted === expected) return;
  const file = summary.source;
  if (accounted > expected) {
    throw dataError(`the scan gave ${accounted} rows (read or skipped) but the file has ${expected} data rows`, {
      file,
      fix: 'check the quote and escape options (a quote that is never closed joins lines into one row), or convert the file to Parquet',
    });
  }
  if (policy === 'error') {
    const found = await setup.locate();
    if (found !== undefined) throw found;
  }
  const row = rowNumberAt(setup.firstRow, setup.excludedRows, accounted - setup.rejected.length);
  throw dataError(`the reader stopped at this row without an error: ${accounted} of the file's ${expected} data rows were read or skipped`, {
    file,
    row,
    fix: "look for a malformed row from this one on (read with onBadRow: 'skip' to count them), or convert the file to Parquet",
  });
}

/** The error of a scan that read nothing (no good and no skipped row). */
export function checkNotEmpty(summary: ReadSummary): void {
  if (summary.rowsRead + summary.rowsSkipped === 0) {
    throw dataError('file has no data rows', { file: summary.source, fix: 'check the path, the header option and skipLines' });
  }
}

export function emptySummary(source: string): ReadSummary {
  return { source, rowsRead: 0, rowsSkipped: 0, badRows: [] };
}

/** Counts a skipped row; the first MAX_BAD_ROW_EXAMPLES are kept as examples. */
export function recordBadRow(summary: ReadSummary, bad: BadRow): void {
  summary.rowsSkipped += 1;
  if (summary.badRows.length < MAX_BAD_ROW_EXAMPLES) summary.badRows.push(bad);
}
