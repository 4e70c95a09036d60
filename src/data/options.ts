import { z } from 'zod';
import type { ColumnKind } from './types.js';
import { checkOptions, configError } from './data-errors.js';

/** How to read one column: a kind, or a list stored as one delimited string (`"a|b|c"`). */
export type ColumnOverride = ColumnKind | { readonly kind: 'list'; readonly separator: string };

export type FileFormat = 'csv' | 'parquet' | 'jsonl';

/** What happens to a malformed row: stop with an error naming file and row, or skip it and count it. */
export type BadRowPolicy = 'error' | 'skip';

/**
 * Options of every reader. CSV-only options (delimiter, header, columnNames, quote, escape, nullValues,
 * encoding, skipLines) are errors for Parquet and JSON lines.
 */
export interface ReadOptions {
  /** The file to read. */
  readonly path: string;
  /** Default: from the extension (.parquet, .jsonl/.ndjson/.json, anything else csv). */
  readonly format?: FileFormat;
  /** Field delimiter, up to 4 characters (Adult uses ', '). Default: ',' for .csv, TAB for .tsv/.tab, else detected among , TAB | ; (',' when none fits). */
  readonly delimiter?: string;
  /** Whether the first line (after skipLines) holds column names. Default true unless columnNames is given. */
  readonly header?: boolean;
  /** Column names for a file without header (or to replace the header's names). */
  readonly columnNames?: readonly string[];
  /** Quote character; '' for none. Default '"'. */
  readonly quote?: string;
  /** Escape character inside quotes. Default: the quote character (doubled quotes). */
  readonly escape?: string;
  /** Field values that mean "missing". Default ['']. */
  readonly nullValues?: readonly string[];
  /** Default 'utf-8'. */
  readonly encoding?: 'utf-8' | 'latin-1' | 'utf-16';
  /** Lines to skip before the header (or the first row), e.g. 1 for adult.test. Default 0. */
  readonly skipLines?: number;
  /** Per-column kind overrides; other columns are inferred (numeric if every sampled value parses as a number). */
  readonly columns?: Readonly<Record<string, ColumnOverride>>;
  /**
   * CSV: columns read as strings (values keep their text: `02139`, not 2139) where the file has them and
   * `columns` gives no kind; a name the file lacks is no error. Set from a feature spec (`stringColumns` in
   * features/checks.ts). Parquet and JSON lines carry their own types and ignore it.
   */
  readonly stringColumns?: readonly string[];
  /** Only these columns, in this order. Default: all. */
  readonly select?: readonly string[];
  /** Rows per chunk of `chunks()`. Default 8192. */
  readonly chunkSize?: number;
  /** Default 'error'. */
  readonly onBadRow?: BadRowPolicy;
  /** Rows sampled to infer column kinds. Default 10000. */
  readonly inferRows?: number;
}

export const CSV_ONLY_OPTIONS = ['delimiter', 'header', 'columnNames', 'quote', 'escape', 'nullValues', 'encoding', 'skipLines'] as const;

const columnOverride = z.union([
  z.enum(['numeric', 'categorical', 'list']),
  z.strictObject({ kind: z.literal('list'), separator: z.string().min(1) }),
]);

export const readOptionsSchema = z.strictObject({
  path: z.string().min(1),
  format: z.enum(['csv', 'parquet', 'jsonl']).optional(),
  delimiter: z.string().min(1).max(4).optional(),
  header: z.boolean().optional(),
  columnNames: z.array(z.string().min(1)).min(1).optional(),
  quote: z.string().max(1).optional(),
  escape: z.string().max(1).optional(),
  nullValues: z.array(z.string()).optional(),
  encoding: z.enum(['utf-8', 'latin-1', 'utf-16']).optional(),
  skipLines: z.number().int().min(0).optional(),
  columns: z.record(z.string(), columnOverride).optional(),
  stringColumns: z.array(z.string()).optional(),
  select: z.array(z.string()).min(1).optional(),
  chunkSize: z.number().int().min(1).max(1 << 24).optional(),
  onBadRow: z.enum(['error', 'skip']).optional(),
  inferRows: z.number().int().min(1).optional(),
});

/** Checks option keys and values; CONFIG errors name the option and list the valid ones. */
export function validateReadOptions(options: ReadOptions, where = 'readOptions'): FileFormat {
  checkOptions(readOptionsSchema, options, where);
  const format = options.format ?? formatFromPath(options.path);
  if (format !== 'csv') {
    for (const key of CSV_ONLY_OPTIONS) {
      if (options[key] !== undefined) {
        throw configError(`option ${key} applies to CSV files only, not ${format}`, {
          file: options.path,
          field: `${where}.${key}`,
          fix: `remove ${key}, or set format: 'csv' if the file is delimited text`,
        });
      }
    }
  }
  if (options.columnNames !== undefined && new Set(options.columnNames).size !== options.columnNames.length) {
    throw configError('columnNames has duplicates', { file: options.path, field: `${where}.columnNames`, fix: 'give every column a distinct name' });
  }
  return format;
}

export function formatFromPath(path: string): FileFormat {
  const p = path.toLowerCase().replace(/\.(gz|zst)$/, '');
  if (p.endsWith('.parquet')) return 'parquet';
  if (p.endsWith('.jsonl') || p.endsWith('.ndjson') || p.endsWith('.json')) return 'jsonl';
  return 'csv';
}

export const DEFAULT_CHUNK_SIZE = 8192;
export const DEFAULT_INFER_ROWS = 10000;
