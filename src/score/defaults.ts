/**
 * Batch scoring's defaults, in a module that imports nothing: `widedeep score --help` shows them without
 * loading the scorer (DuckDB, ONNX Runtime).
 */

/** Bytes of input per range (Parquet: of row groups) when neither `rangeBytes` nor a memory bound sets it. */
export const DEFAULT_RANGE_BYTES = 64 << 20;
