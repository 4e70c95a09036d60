import type { DuckDBConnection } from '@duckdb/node-api';
import type { BadRow } from './source.js';
import { queryRows, sqlIdent, sqlString, tempName } from './duckdb.js';

/**
 * DuckDB's reject table for text files read with `read_csv` (CSV, TSV, and JSON lines, which are read as one
 * VARCHAR per line). A check pass converts every selected column with `store_rejects`, so it rejects what the
 * scan would; its `line` counts records from 1, header and blank lines included.
 */

/** How the rejected rows' reasons are worded. */
export interface RejectWording {
  /** 'jsonl': a line is one value, so a field-count or quoting problem means "not a JSON object". */
  readonly format: 'csv' | 'jsonl';
  readonly delimiter: string;
  readonly encoding: string;
}

export interface RowProblemFix {
  readonly field?: string;
  readonly reason: string;
  readonly fix: string;
}

export interface Rejected {
  readonly row: number;
  readonly problem: RowProblemFix;
}

/** What a check pass found: the rows it rejected (one per row, in row order) and the rows it read. */
export interface CheckPass {
  readonly rejects: Rejected[];
  readonly goodRows: number;
}

/**
 * Runs the check pass: `checkSql(extra)` must be a one-row aggregate over `read_csv(..., <extra>)` whose first
 * column is `count(*)` and whose other columns make DuckDB convert every selected column.
 */
export async function readRejects(c: DuckDBConnection, checkSql: (extra: string) => string, w: RejectWording): Promise<CheckPass> {
  const table = tempName('wd_rejects');
  const scan = tempName('wd_scans');
  const counted = await queryRows(c, checkSql(`, store_rejects=true, rejects_table=${sqlString(table)}, rejects_scan=${sqlString(scan)}`));
  const rows = await queryRows(c, `SELECT line, error_type, column_name, error_message FROM ${sqlIdent(table)} ORDER BY line`);
  await c.run(`DROP TABLE IF EXISTS ${sqlIdent(table)}; DROP TABLE IF EXISTS ${sqlIdent(scan)}`);
  const rejects: Rejected[] = [];
  for (const r of rows) {
    const row = Number(r['line']);
    if (rejects[rejects.length - 1]?.row === row) continue;
    rejects.push({ row, problem: rejectProblem(r, w) });
  }
  return { rejects, goodRows: Number(Object.values(counted[0] ?? {})[0] ?? 0) };
}

/** The rejected rows as the summary lists skipped rows. */
export function badRowsOf(rejects: readonly Rejected[]): BadRow[] {
  return rejects.map((r) => ({ row: r.row, reason: r.problem.reason, ...(r.problem.field !== undefined ? { field: r.problem.field } : {}) }));
}

const SKIP_FIX = "or read with onBadRow: 'skip'";

/** Turns one row of DuckDB's reject table into a readable reason and fix. */
function rejectProblem(r: Record<string, unknown>, w: RejectWording): RowProblemFix {
  const type = String(r['error_type']);
  const message = String(r['error_message']);
  const column = r['column_name'] === null || r['column_name'] === undefined ? undefined : String(r['column_name']);
  const at = column !== undefined && w.format === 'csv' ? { field: column } : {};
  if (type.includes('ENCODING') || type.includes('UNICODE')) {
    const fix = w.format === 'jsonl' ? 'convert the file to UTF-8' : "pass the file's encoding (e.g. encoding: 'latin-1')";
    return { ...at, reason: `bytes that are not valid ${w.encoding}`, fix: `${fix}, ${SKIP_FIX}` };
  }
  if (type === 'LINE SIZE OVER MAXIMUM') {
    const m = /Maximum line size of (\d+) bytes exceeded\. Actual Size:\s*(\d+)/.exec(message);
    const sizes = m !== null ? ` (${m[2]} bytes, the limit is ${m[1]})` : '';
    return { reason: `the line is longer than the reader's limit${sizes}`, fix: `check for a missing line break or a runaway quote, shorten the value, ${SKIP_FIX}` };
  }
  if (w.format === 'jsonl') return { reason: 'line is not a valid JSON object', fix: `write one JSON object per line, ${SKIP_FIX}` };
  if (type === 'TOO MANY COLUMNS' || type === 'MISSING COLUMNS') {
    const m = /Expected Number of Columns: (\d+) Found: (\d+)/.exec(message);
    const reason = m !== null ? `wrong number of fields: expected ${m[1]}, got ${m[2]}` : message;
    return { reason, fix: `give every row ${m?.[1] ?? 'the same number of'} fields separated by ${JSON.stringify(w.delimiter)} (check quoting), ${SKIP_FIX}` };
  }
  if (type === 'CAST') {
    const m = /Could not convert string "([\s\S]*)" to/.exec(message);
    const value = m?.[1] ?? '?';
    return {
      ...at,
      reason: `value ${JSON.stringify(value)} in numeric column ${column ?? '?'} is not a number`,
      fix: `correct the value, mark it missing (nullValues), declare the column categorical (columns: { ${column ?? 'name'}: 'categorical' }), ${SKIP_FIX}`,
    };
  }
  if (type === 'UNQUOTED VALUE') {
    return { ...at, reason: 'a quoted value is not closed or has text after its closing quote', fix: `check the quote and escape options, ${SKIP_FIX}` };
  }
  return { ...at, reason: message, fix: `correct the row, ${SKIP_FIX}` };
}

/** Union of two ascending lists, ascending, without duplicates. */
export function mergeSorted(a: readonly number[], b: readonly number[]): number[] {
  return [...new Set([...a, ...b])].sort((x, y) => x - y);
}
