import type { DuckDBConnection } from '@duckdb/node-api';
import type { WideDeepError } from '../core/errors.js';
import type { ColumnSchema } from './types.js';
import type { DecodeLayout } from './decode.js';
import type { BadRowPolicy, FileFormat } from './options.js';

/** A malformed row that was skipped (or, under onBadRow 'error', the one that stopped the read). */
export interface BadRow {
  /** 1-based row number in the file. */
  readonly row: number;
  readonly field?: string;
  readonly reason: string;
}

/** What one scan read and skipped. Skipped rows are always counted here, never dropped silently. */
export interface ReadSummary {
  readonly source: string;
  rowsRead: number;
  rowsSkipped: number;
  /** The first `MAX_BAD_ROW_EXAMPLES` skipped rows, in row order within each kind of check. */
  readonly badRows: BadRow[];
}

export const MAX_BAD_ROW_EXAMPLES = 100;

/** Everything a scan needs, prepared per scan on its own connection. */
export interface ScanSetup {
  /** SELECT whose result columns follow `layout`; rows come in file order. */
  readonly sql: string;
  /** Row number of the first result row and the row numbers that produce no result row (sorted). */
  readonly firstRow: number;
  readonly excludedRows: readonly number[];
  /** Rows DuckDB rejected before the scan (text files under 'skip'), already excluded from the result. */
  readonly rejected: readonly BadRow[];
  /**
   * The data rows of the file, counted apart from the scan (the records found by a byte-level pass, Parquet's
   * metadata): a complete scan reads or skips exactly this many (`checkComplete`).
   */
  readonly expectedRows: number;
  /** Turns an error thrown by DuckDB during the scan into one that names the first bad row. */
  diagnose(error: unknown): Promise<WideDeepError>;
  /** The first row DuckDB's own checks reject, if any (what a scan that ended early stopped at). */
  locate(): Promise<WideDeepError | undefined>;
}

/** A planned file: schema fixed, ready to be scanned any number of times. */
export interface Source {
  readonly file: string;
  readonly format: FileFormat;
  readonly schema: readonly ColumnSchema[];
  readonly layout: DecodeLayout;
  /** Fix text for a row with a problem found while decoding (non-finite number, bad JSON value, ...). */
  readonly rowFix: string;
  prepare(con: DuckDBConnection, policy: BadRowPolicy): Promise<ScanSetup>;
}
