import { WideDeepError } from '../core/errors.js';
import type { BadRowPolicy, ReadSummary, RowChunk } from '../data/index.js';
import { notAnObject, rowsToChunk } from '../features/rows.js';

export interface JsonLinesOptions {
  /** Name in errors and in the summary, e.g. 'stdin'. */
  readonly source: string;
  /** Rows per chunk (fewer when rows are skipped). */
  readonly chunkSize: number;
  /** Columns every chunk has, missing where a row leaves them out (`inputColumns(spec)`). */
  readonly columns: readonly string[];
  /** Columns whose values must be numbers or null (`RowsToChunkOptions.numeric`). */
  readonly numeric: readonly string[];
  readonly onBadRow: BadRowPolicy;
  /**
   * Keys a row may carry (the input columns, label and weight): a row's other keys are passed to `onIgnored`,
   * each key once, at the first row that has it (a misspelt column shows instead of passing as missing).
   */
  readonly known?: ReadonlySet<string>;
  readonly onIgnored?: (keys: readonly string[], row: number) => void;
}

/** Skipped rows kept as examples in the summary, as the file readers keep them. */
const MAX_EXAMPLES = 100;
const FIX = 'send one JSON object per line, or leave bad lines out with --on-bad-row skip';

/**
 * The JSON objects of `lines`, one per line, in chunks of `chunkSize` rows numbered by line. A UTF-8
 * byte-order mark opening the first line is dropped, and blank lines are skipped. A bad row is a line that is
 * not JSON or not an object (found as it is read), or one `rowsToChunk` refuses when the chunk is made (a value
 * of no usable type, a string in a `numeric` column). Under 'skip' it is counted in `summary` and left out. Under 'error' the rows before it come first, as a chunk of their own, and
 * then its error: a caller that scores every chunk it gets has scored every row before the bad one.
 */
export async function* jsonLineChunks(lines: AsyncIterable<string>, options: JsonLinesOptions, summary: ReadSummary): AsyncGenerator<RowChunk, void, undefined> {
  let rows: unknown[] = [];
  let numbers: number[] = [];
  let line = 0;
  const seen = new Set<string>();
  for await (const raw of lines) {
    line++;
    const text = line === 1 && raw.startsWith('\uFEFF') ? raw.slice(1) : raw;
    if (text.trim() === '') continue;
    let value: unknown;
    let reason: string | null = null;
    try {
      value = JSON.parse(text);
    } catch (err) {
      reason = `not valid JSON: ${(err as Error).message}`;
    }
    // Checked here as well as in rowsToChunk, so that a writer keeping stdin open hears of the line at once.
    reason ??= notAnObject(value);
    if (reason !== null) {
      if (options.onBadRow === 'skip') {
        skip(summary, line, reason);
        continue;
      }
      yield* chunksOf(rows, numbers, options, summary);
      throw new WideDeepError('DATA', reason, { file: options.source, row: line, fix: FIX });
    }
    if (options.known !== undefined) ignoredKeys(value as Record<string, unknown>, options.known, seen, (keys) => options.onIgnored?.(keys, line));
    rows.push(value);
    numbers.push(line);
    if (rows.length === options.chunkSize) {
      yield* chunksOf(rows, numbers, options, summary);
      rows = [];
      numbers = [];
    }
  }
  yield* chunksOf(rows, numbers, options, summary);
}

/**
 * The parsed rows as one chunk. A row rowsToChunk refuses is, under 'skip', recorded and taken out (`rows` and
 * `numbers` shrink) before trying again; under 'error', the rows before it are yielded and then its error thrown.
 */
function* chunksOf(rows: unknown[], numbers: number[], options: JsonLinesOptions, summary: ReadSummary): Generator<RowChunk, void, undefined> {
  const { source, columns, numeric } = options;
  const chunkOf = (end: number): RowChunk => rowsToChunk(rows.slice(0, end), { source, rowNumbers: numbers.slice(0, end), columns, numeric });
  while (rows.length > 0) {
    let chunk: RowChunk;
    try {
      chunk = chunkOf(rows.length);
    } catch (err) {
      const i = err instanceof WideDeepError && err.details.row !== undefined ? numbers.indexOf(err.details.row) : -1;
      if (i < 0) throw err;
      if (options.onBadRow === 'error') {
        // rowsToChunk checks rows in order, so every row before the one it names is good.
        if (i > 0) yield countRead(summary, chunkOf(i));
        throw err;
      }
      skip(summary, numbers[i] as number, (err as WideDeepError).reason);
      rows.splice(i, 1);
      numbers.splice(i, 1);
      continue;
    }
    yield countRead(summary, chunk);
    return;
  }
}

/** Calls `report` with the keys of `row` that are not `known` and not yet `seen` (adding them to it), if any. */
function ignoredKeys(row: Record<string, unknown>, known: ReadonlySet<string>, seen: Set<string>, report: (keys: string[]) => void): void {
  const fresh = Object.keys(row).filter((k) => !known.has(k) && !seen.has(k));
  if (fresh.length === 0) return;
  for (const k of fresh) seen.add(k);
  report(fresh);
}

function skip(summary: ReadSummary, row: number, reason: string): void {
  summary.rowsSkipped += 1;
  if (summary.badRows.length < MAX_EXAMPLES) summary.badRows.push({ row, reason });
}

function countRead(summary: ReadSummary, chunk: RowChunk): RowChunk {
  summary.rowsRead += chunk.numRows;
  return chunk;
}
