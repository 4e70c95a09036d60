import type { DuckDBConnection } from '@duckdb/node-api';
import type { BadRowPolicy } from './options.js';
import type { ScanSetup } from './source.js';
import { WideDeepError } from '../core/errors.js';
import { dataError, errorText } from './data-errors.js';
import { withConnection } from './duckdb.js';
import { scanBlankRecords, type BlankScan } from './line-scan.js';
import { type CheckPass, type RejectWording, badRowsOf, mergeSorted, readRejects } from './text-rejects.js';

/** A text file read with DuckDB's `read_csv` (CSV, TSV, JSON lines): what its scans need to know. */
export interface TextScanSpec {
  readonly file: string;
  readonly wording: RejectWording;
  readonly dialect: { readonly quote: string; readonly escape: string; readonly delimiter: string };
  /** Record number of the first data row (after skipped lines and the header). */
  readonly firstRow: number;
  /** The scan's SELECT over `read_csv(..., <extra>)`. */
  readonly scanSql: (extra: string) => string;
  /** The check pass: `count(*)`, then a count of every selected column, over `read_csv(..., <extra>)`. */
  readonly checkSql: (extra: string) => string;
  /** Fix for a DuckDB failure that no rejected row explains. */
  readonly readFix: string;
}

/**
 * Prepares the scans of a text file. Row numbers: the byte-level scan finds the blank records (DuckDB drops
 * them) and counts the records, which is what proves a scan complete: rows read + rows skipped must equal
 * the non-blank data records (`expectedRows`). Under 'error' DuckDB stops at the first malformed row and the
 * check pass finds it in a reject table; under 'skip', the check pass runs first (once per reader) and the
 * scan ignores the rows it rejected. Compressed files that Node cannot inflate (zst, bz2, xz) and utf-16 are
 * not scanned byte by byte: their blank records are not known (rows after one are numbered as if it were not
 * there) and their row count is the check pass's.
 */
export function textScan(spec: TextScanSpec): { prepare(c: DuckDBConnection, policy: BadRowPolicy): Promise<ScanSetup> } {
  const { file, firstRow } = spec;
  const scannable = spec.wording.encoding !== 'utf-16' && !/\.(zst|bz2|xz)$/i.test(file);
  let blanks: Promise<BlankScan | undefined> | undefined;
  const blankScan = (): Promise<BlankScan | undefined> => {
    blanks ??= scannable ? scanBlankRecords(file, spec.dialect) : Promise.resolve(undefined);
    return blanks;
  };
  let checked: Promise<CheckPass> | undefined;
  const checkPass = async (c: DuckDBConnection): Promise<CheckPass> => {
    checked ??= readRejects(c, spec.checkSql, spec.wording);
    return checked.catch(async (e: unknown) => {
      checked = undefined;
      throw await diagnose(e);
    });
  };
  const locate = async (): Promise<WideDeepError | undefined> => {
    const { rejects } = await withConnection((c) => readRejects(c, spec.checkSql, spec.wording)).catch(() => ({ rejects: [] }));
    const first = rejects[0];
    if (first === undefined) return undefined;
    const { field, reason, fix } = first.problem;
    return dataError(reason, { file, row: first.row, ...(field !== undefined ? { field } : {}), fix });
  };
  const diagnose = async (error: unknown): Promise<WideDeepError> => {
    if (error instanceof WideDeepError) return error;
    const found = await locate();
    if (found !== undefined) return new WideDeepError(found.code, found.reason, found.details, { cause: error });
    return dataError(`DuckDB could not read the file: ${errorText(error)}`, { file, fix: spec.readFix }, error);
  };
  return {
    async prepare(c, policy): Promise<ScanSetup> {
      const scan = await blankScan();
      const blankRows = scan?.blanks ?? [];
      const pass = policy === 'skip' || scan === undefined ? await checkPass(c) : undefined;
      const expectedRows = scan !== undefined ? dataRecords(scan, firstRow) : (pass as CheckPass).goodRows + (pass as CheckPass).rejects.length;
      const base = { firstRow, expectedRows, diagnose, locate };
      if (policy === 'error') return { ...base, sql: spec.scanSql(''), excludedRows: blankRows, rejected: [] };
      const rejects = (pass as CheckPass).rejects;
      const excludedRows = mergeSorted(blankRows, rejects.map((r) => r.row));
      return { ...base, sql: spec.scanSql(', ignore_errors=true'), excludedRows, rejected: badRowsOf(rejects) };
    },
  };
}

/** Non-blank records from `firstRow` on. */
function dataRecords(scan: BlankScan, firstRow: number): number {
  const blanksIn = scan.blanks.filter((b) => b >= firstRow).length;
  return Math.max(0, scan.records - (firstRow - 1) - blanksIn);
}
