import { createReadStream, createWriteStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { ParquetRange, ScoreRangeJob, TextRange } from './range-job.js';
import { WideDeepError } from '../core/errors.js';
import { sqlString, withConnection } from '../data/duckdb.js';

/**
 * The file a range job reads, and how its row numbers map back to the input. The data layer reads whole
 * files, so a range of a text file is copied out as the file's head (skipped lines, header) followed by the
 * range's bytes, and a range of Parquet row groups as a Parquet file of those rows (DuckDB prunes the other row
 * groups by `file_row_number`). Either reads exactly as the input would from the range's first row on: row
 * `local` of the copy is the input's row `local + rowShift`. A range that is the whole input is read in place.
 */
export interface RangeFile {
  /** The path to read (the input itself, or the copy). */
  readonly path: string;
  /** Added to a row number of `path` to give the input's row number (`predict`'s). */
  readonly rowShift: number;
  /** Subtracted from an input row number to give the row id (0-based data row). */
  readonly firstDataRow: number;
  /** Removes the copy (nothing for the input itself). */
  remove(): Promise<void>;
}

/** Makes the file of `job`'s range in `job.tempDir` (or points at the input when the range is all of it). */
export async function openRangeFile(job: ScoreRangeJob): Promise<RangeFile> {
  const { range, input } = job;
  if (range.kind === 'bytes') {
    const size = await inputSize(input.path);
    const whole = range.start === range.headBytes && range.end === size;
    if (whole) return inPlace(input.path, 0, range.dataFirstRecord);
    const path = join(job.tempDir, `range-${job.index}${extensionOf(input.path)}`);
    return copied(path, () => copyText(input.path, path, range), range.firstRecord - range.dataFirstRecord, range.dataFirstRecord);
  }
  if (range.firstRow === 0 && range.rows === (await parquetRows(input.path))) return inPlace(input.path, 0, 1);
  const path = join(job.tempDir, `range-${job.index}.parquet`);
  return copied(path, () => copyParquet(input.path, path, range), range.firstRow, 1);
}

function inPlace(path: string, rowShift: number, firstDataRow: number): RangeFile {
  return { path, rowShift, firstDataRow, remove: () => Promise.resolve() };
}

async function copied(path: string, make: () => Promise<void>, rowShift: number, firstDataRow: number): Promise<RangeFile> {
  const remove = (): Promise<void> => rm(path, { force: true });
  try {
    await make();
  } catch (e) {
    await remove();
    throw e;
  }
  return { path, rowShift, firstDataRow, remove };
}

/** The head and the range's bytes, streamed (bounded memory). */
async function copyText(input: string, path: string, r: TextRange): Promise<void> {
  const out = createWriteStream(path);
  try {
    if (r.headBytes > 0) await pipeline(createReadStream(input, { start: 0, end: r.headBytes - 1 }), out, { end: false });
    await pipeline(createReadStream(input, { start: r.start, end: r.end - 1, highWaterMark: 1 << 20 }), out);
  } catch (e) {
    out.destroy();
    throw ioError(`cannot copy bytes ${r.start}-${r.end} of the input to ${path}`, input, e);
  }
}

/** The rows of the range's row groups, as a Parquet file of the same column types. */
async function copyParquet(input: string, path: string, r: ParquetRange): Promise<void> {
  const where = `file_row_number >= ${r.firstRow} AND file_row_number < ${r.firstRow + r.rows}`;
  const sql = `COPY (SELECT * EXCLUDE (file_row_number) FROM read_parquet(${sqlString(input)}, file_row_number=true) WHERE ${where}) TO ${sqlString(path)} (FORMAT parquet)`;
  await withConnection((con) => con.run(sql)).catch((e: unknown) => {
    throw ioError(`cannot copy row groups ${r.firstGroup}-${r.firstGroup + r.groups - 1} of the input to ${path}`, input, e);
  });
}

async function parquetRows(path: string): Promise<number> {
  const rows = await withConnection((con) => con.runAndReadAll(`SELECT num_rows FROM parquet_file_metadata(${sqlString(path)})`));
  return Number(rows.getRowObjectsJS()[0]?.['num_rows'] ?? -1);
}

async function inputSize(path: string): Promise<number> {
  const info = await stat(path).catch((e: unknown) => {
    throw ioError('cannot read the input', path, e);
  });
  return info.size;
}

/** The extension the reader goes by (.csv, .tsv, .jsonl ...), kept on the copy. */
function extensionOf(path: string): string {
  return /(\.[A-Za-z0-9]+)$/.exec(path)?.[1] ?? '.csv';
}

function ioError(message: string, file: string, e: unknown): WideDeepError {
  const why = e instanceof Error ? e.message : String(e);
  return new WideDeepError('IO', `${message}: ${why}`, { file, fix: 'check that the input is on a filesystem every worker reads, and that the temp directory has room' }, { cause: e });
}
