/**
 * What readers produce: a columnar chunk of rows. Numeric columns are Float64Array with NaN for missing;
 * categorical/string columns are arrays of strings with null for missing; list columns (multi-valued fields
 * such as genres, and ordered sequences such as a user's history) are arrays of string arrays.
 */
export type ColumnValues = Float64Array | (string | null)[] | (readonly string[] | null)[];

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
 * How a reader decodes a column: `numeric` -> Float64Array (NaN = missing), `categorical` -> string | null,
 * `list` -> string[] | null (multi-valued fields and ordered sequences).
 */
export type ColumnKind = 'numeric' | 'categorical' | 'list';

/** One column of a reader's schema, in output order. */
export interface ColumnSchema {
  readonly name: string;
  readonly kind: ColumnKind;
}
