import { randomBytes } from 'node:crypto';
import { rename, rm } from 'node:fs/promises';
import { WideDeepError } from '../core/errors.js';
import { sqlString, withConnection } from '../data/duckdb.js';

/**
 * Concatenates the part files, in the order given, into one Parquet file at `out`, atomically: DuckDB writes
 * a temp file beside `out` (same directory, so the rename is atomic), which replaces `out` only once complete;
 * on any failure the temp file is removed and `out` is left as it was. The row order is the parts' order: a
 * multi-file read_parquet keeps the order of its file list and of the rows within each file under DuckDB's
 * default `preserve_insertion_order` (set here for the statement, in case a session turned it off), streaming
 * row group by row group rather than sorting (test/score/assemble.test.ts checks it on many row groups).
 */
export async function assembleParts(parts: readonly string[], out: string): Promise<void> {
  const temp = `${out}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const list = `[${parts.map(sqlString).join(', ')}]`;
  try {
    await withConnection(async (con) => {
      await con.run('SET preserve_insertion_order = true');
      await con.run(`COPY (SELECT * FROM read_parquet(${list})) TO ${sqlString(temp)} (FORMAT parquet)`);
    });
    await rename(temp, out);
  } catch (e) {
    await rm(temp, { force: true });
    throw new WideDeepError('IO', `cannot write the output: ${e instanceof Error ? e.message : String(e)}`, { file: out, fix: 'check that the output directory is writable and has room' }, { cause: e });
  }
}
