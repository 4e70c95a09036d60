/**
 * One error type for the whole library. `code` says what went wrong in a machine-readable way; the message
 * names the file, row, field or key involved and what to do about it.
 */
export type ErrorCode =
  | 'CONFIG' // a config key or value is wrong
  | 'SHAPE' // tensor shapes do not fit together
  | 'GRAPH' // an ONNX graph could not be built or differentiated
  | 'RUNTIME' // ONNX Runtime failed
  | 'DATA' // a data file or row is malformed
  | 'BATCH' // a SparseBatch or dense block is malformed
  | 'BUNDLE' // a model bundle is missing, truncated or mismatched
  | 'IO' // a file could not be read or written
  | 'INTERNAL'; // a bug in widedeep

export interface ErrorDetails {
  /** File path, when the error is about a file. */
  readonly file?: string;
  /** 1-based row (line) number in that file. */
  readonly row?: number;
  /** Column, field or config key path, e.g. `columns[3].buckets`. */
  readonly field?: string;
  /** What the user can do about it. */
  readonly fix?: string;
}

export class WideDeepError extends Error {
  override readonly name = 'WideDeepError';
  readonly code: ErrorCode;
  readonly details: ErrorDetails;
  /** The message without the file/row/field prefix and the fix (to re-raise with more details). */
  readonly reason: string;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}, options?: { cause?: unknown }) {
    super(formatMessage(message, details), options);
    this.code = code;
    this.details = details;
    this.reason = message;
  }
}

function formatMessage(message: string, d: ErrorDetails): string {
  const where = [
    d.file !== undefined ? `file ${d.file}` : '',
    d.row !== undefined ? `row ${d.row}` : '',
    d.field !== undefined ? `field ${d.field}` : '',
  ].filter((s) => s !== '');
  const prefix = where.length > 0 ? `${where.join(', ')}: ` : '';
  const fix = d.fix !== undefined ? ` (fix: ${d.fix})` : '';
  return `${prefix}${message}${fix}`;
}

/** Throws an INTERNAL error when an invariant does not hold. */
export function assert(cond: unknown, message: string): asserts cond {
  if (!cond) throw new WideDeepError('INTERNAL', message);
}
