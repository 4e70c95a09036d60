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
 * Streams the file once (bounded memory) and returns its blank records. Quote-aware, so a newline inside a
 * quoted field does not end a record. Works on byte level for ASCII-compatible encodings (utf-8, latin-1).
 */
export async function scanBlankRecords(path: string, quote: string, escape: string): Promise<BlankScan> {
  const q = quote === '' ? -1 : quote.charCodeAt(0);
  const esc = escape === '' ? -1 : escape.charCodeAt(0);
  let stream: Readable = createReadStream(path, { highWaterMark: 1 << 20 });
  if (path.endsWith('.gz')) stream = stream.pipe(createGunzip());
  const blanks: number[] = [];
  let record = 1;
  let recordLen = 0; // bytes in the current record, not counting a trailing '\r'
  let pendingCR = false;
  let inQuote = false;
  let skipNext = false;
  for await (const buf of stream as AsyncIterable<Buffer>) {
    let i = 0;
    const len = buf.length;
    if (!inQuote && !skipNext && (q < 0 || buf.indexOf(q) < 0)) {
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
        if (recordLen === 0) blanks.push(record);
        record += 1;
        recordLen = 0;
        pendingCR = false;
        i = nl + 1;
      }
      continue;
    }
    for (; i < len; i++) {
      const b = buf[i] as number;
      if (skipNext) {
        skipNext = false;
        recordLen += 1;
        continue;
      }
      if (inQuote) {
        recordLen += 1;
        if (b === esc && esc !== q) skipNext = true;
        else if (b === q) inQuote = false; // a doubled quote re-enters on the next byte
        continue;
      }
      if (b === 10) {
        if (recordLen === 0) blanks.push(record);
        record += 1;
        recordLen = 0;
        pendingCR = false;
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
      if (b === q) inQuote = true;
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
