import type { Utf8Values } from './utf8-values.js';

/**
 * What readers produce: a columnar chunk of rows. Numeric columns are Float64Array with NaN for missing;
 * categorical/string columns are arrays of strings with null for missing, or the same values as UTF-8 bytes
 * (Utf8Values: what readers give, so that feature transforms never build the strings); list columns
 * (multi-valued fields such as genres, and ordered sequences such as a user's history) are arrays of string
 * arrays. Code that needs strings from either form of a string column calls `stringColumn` or `valuesArray`
 * (chunk.ts).
 */
export type ColumnValues = Float64Array | Utf8Values | (string | null)[] | (readonly string[] | null)[];

export interface RowChunk {
  /** Number of rows in the chunk. */
  readonly numRows: number;
  /** Column name -> values, all of length numRows. */
  readonly columns: ReadonlyMap<string, ColumnValues>;
  /** Where the rows came from (file path or a generator name), for error messages. */
  readonly source: string;
  /** 1-based row number of every row in its source file (kept through shuffling), for error messages. */
  readonly rowNumbers: Int32Array;
}

/**
 * How a reader decodes a column: `numeric` -> Float64Array (NaN = missing), `categorical` -> Utf8Values
 * (strings, null = missing), `list` -> string[] | null (multi-valued fields and ordered sequences).
 */
export type ColumnKind = 'numeric' | 'categorical' | 'list';

/** One column of a reader's schema, in output order. */
export interface ColumnSchema {
  readonly name: string;
  readonly kind: ColumnKind;
}
