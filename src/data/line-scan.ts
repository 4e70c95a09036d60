import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';

/**
 * Row numbers: DuckDB's CSV reader does not report the record number of good rows, only of rejected ones (its
 * `line` counts records from 1, header and blank lines included, a quoted field with a newline being one
 * record). Good rows come out in file order, so row k of the result is the k-th record that is neither header,
 * skipped, blank nor rejected. This scan finds the blank records; rejected ones come from DuckDB's reject table.
 */
export interface BlankScan {
  /** 1-based record numbers of empty records (a lone '\r' counts as empty), ascending. */
  readonly blanks: number[];
  /** Number of records, counting a last line without newline. */
  readonly records: number;
}

/**
 * Streams the file once (bounded memory) and returns its blank records and its record count. Quote-aware as
 * DuckDB's reader is (RFC 4180): a quote opens a quoted field only at the start of a field, so a newline
 * inside one does not end a record, and a quote inside an unquoted value is a plain character. Works on byte
 * level for ASCII-compatible encodings (utf-8, latin-1).
 */
export async function scanBlankRecords(path: string, dialect: { quote: string; escape: string; delimiter: string }): Promise<BlankScan> {
  const q = dialect.quote === '' ? -1 : dialect.quote.charCodeAt(0);
  const esc = dialect.escape === '' ? -1 : dialect.escape.charCodeAt(0);
  const delim = Buffer.from(dialect.delimiter, 'utf8');
  let stream: Readable = createReadStream(path, { highWaterMark: 1 << 20 });
  if (path.endsWith('.gz')) stream = stream.pipe(createGunzip());
  const blanks: number[] = [];
  let record = 1;
  let recordLen = 0; // bytes in the current record, not counting a trailing '\r'
  let pendingCR = false;
  let inQuote = false;
  let skipNext = false; // the byte after an escape character inside quotes
  let closed = false; // the previous byte closed a quoted value (a quote next is an escaped quote)
  let fieldStart = true;
  let matched = 0; // delimiter bytes matched so far
  const endRecord = (): void => {
    if (recordLen === 0) blanks.push(record);
    record += 1;
    recordLen = 0;
    pendingCR = false;
    fieldStart = true;
    matched = 0;
  };
  for await (const buf of stream as AsyncIterable<Buffer>) {
    let i = 0;
    const len = buf.length;
    if (!inQuote && !skipNext && !closed && (q < 0 || buf.indexOf(q) < 0)) {
      // Fast path: no quotes in this block, records end at every '\n'.
      while (i < len) {
        const nl = buf.indexOf(10, i);
        const end = nl < 0 ? len : nl;
        if (end > i) {
          const endsCR = buf[end - 1] === 13;
          recordLen += (pendingCR ? 1 : 0) + (end - i) - (endsCR ? 1 : 0);
          pendingCR = endsCR;
        }
        if (nl < 0) break;
        endRecord();
        i = nl + 1;
      }
      if (len > 0 && buf[len - 1] !== 10) {
        fieldStart = len >= delim.length && buf.subarray(len - delim.length).equals(delim);
        matched = 0;
      }
      continue;
    }
    for (; i < len; i++) {
      const b = buf[i] as number;
      if (inQuote) {
        recordLen += 1;
        if (skipNext) skipNext = false;
        else if (b === esc && esc !== q) skipNext = true;
        else if (b === q) {
          inQuote = false;
          closed = true;
        }
        continue;
      }
      if (b === 10) {
        closed = false;
        endRecord();
        continue;
      }
      if (b === 13) {
        pendingCR = true;
        continue;
      }
      if (pendingCR) {
        recordLen += 1;
        pendingCR = false;
      }
      recordLen += 1;
      if (b === q && (fieldStart || closed)) {
        inQuote = true;
        closed = false;
        fieldStart = false;
        continue;
      }
      closed = false;
      matched = b === delim[matched] ? matched + 1 : b === delim[0] ? 1 : 0;
      fieldStart = matched === delim.length;
      if (fieldStart) matched = 0;
    }
  }
  return { blanks, records: recordLen > 0 ? record : record - 1 };
}

/**
 * Maps result-row ordinals to 1-based row numbers: rows are numbered from `first` on, skipping `excluded`
 * (sorted ascending). Call `next()` once per result row, in order.
 */
export class RowMapper {
  private cur: number;
  private j = 0;

  constructor(
    first: number,
    private readonly excluded: readonly number[],
  ) {
    this.cur = first;
  }

  next(): number {
    const ex = this.excluded;
    while (this.j < ex.length && (ex[this.j] as number) < this.cur) this.j++;
    while (this.j < ex.length && ex[this.j] === this.cur) {
      this.j++;
      this.cur++;
    }
    return this.cur++;
  }
}

/** The row number `RowMapper` gives the result row of ordinal `k` (0-based), without walking the rows before it. */
export function rowNumberAt(first: number, excluded: readonly number[], k: number): number {
  let row = first + k;
  for (const ex of excluded) {
    if (ex > row) break;
    if (ex >= first) row += 1;
  }
  return row;
}
