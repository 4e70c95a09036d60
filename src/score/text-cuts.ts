import { createReadStream } from 'node:fs';

/**
 * Where to cut a text file (CSV, JSON lines) into byte ranges that each start at a record start, and the
 * record number of each cut, in one streaming pass (bounded memory). Records follow the reader's numbering
 * (data/line-scan.ts): a record ends at a '\n' outside quotes, a quote opens a quoted field only at the start
 * of a field (or right after a closing quote: an escaped quote), so a newline inside a quoted field does not
 * end a record and a range never splits one.
 */
export interface TextCuts {
  /** Bytes before the first data record (skipped lines and the header). */
  readonly headBytes: number;
  /** Record number of the first data record (1 + head records). */
  readonly dataFirstRecord: number;
  /** The ranges, in file order: [start, end) bytes, the record number at start and the data rows before it. */
  readonly ranges: readonly { readonly start: number; readonly end: number; readonly firstRecord: number; readonly rowsBefore: number }[];
  /** Records in the file (a last line without newline counts), head included. */
  readonly records: number;
  readonly bytes: number;
}

export interface CutOptions {
  readonly quote: string;
  readonly escape: string;
  readonly delimiter: string;
  /** Records before the first data record (1 for a CSV header, 0 for JSON lines). */
  readonly headRecords: number;
  /** Bytes per range (about: a range ends at the first allowed record start at or after its target). */
  readonly rangeBytes: number;
  /** A range starts only after a multiple of this many data rows (non-blank records). */
  readonly alignRows: number;
}

/** A cursor through the file's records: the quote state carried from one buffer to the next. */
class RecordScanner {
  private inQuote = false;
  private skipNext = false;
  private closed = false;
  private fieldStart = true;
  private matched = 0;
  private readonly q: number;
  private readonly esc: number;
  private readonly delim: Buffer;

  constructor(o: CutOptions) {
    this.q = o.quote === '' ? -1 : o.quote.charCodeAt(0);
    this.esc = o.escape === '' ? -1 : o.escape.charCodeAt(0);
    this.delim = Buffer.from(o.delimiter, 'utf8');
  }

  /** Calls `onRecordEnd(i)` for each byte i of `buf` that ends a record (a '\n' outside quotes). */
  scan(buf: Buffer, onRecordEnd: (i: number) => void): void {
    const { q } = this;
    const len = buf.length;
    if (!this.inQuote && !this.skipNext && !this.closed && (q < 0 || buf.indexOf(q) < 0)) {
      // Fast path: no quote in this block, every '\n' ends a record.
      for (let nl = buf.indexOf(10); nl >= 0; nl = buf.indexOf(10, nl + 1)) onRecordEnd(nl);
      const last = buf.lastIndexOf(10);
      const tail = buf.subarray(last + 1);
      if (tail.length > 0) {
        this.fieldStart = tail.length >= this.delim.length && tail.subarray(tail.length - this.delim.length).equals(this.delim);
        this.matched = 0;
      } else if (last >= 0) this.fieldStart = true;
      return;
    }
    for (let i = 0; i < len; i++) this.step(buf[i] as number, i, onRecordEnd);
  }

  private step(b: number, i: number, onRecordEnd: (i: number) => void): void {
    const { q, esc, delim } = this;
    if (this.inQuote) {
      if (this.skipNext) this.skipNext = false;
      else if (b === esc && esc !== q) this.skipNext = true;
      else if (b === q) {
        this.inQuote = false;
        this.closed = true;
      }
      return;
    }
    if (b === 10) {
      this.closed = false;
      this.fieldStart = true;
      this.matched = 0;
      onRecordEnd(i);
      return;
    }
    if (b === 13) return;
    if (b === q && (this.fieldStart || this.closed)) {
      this.inQuote = true;
      this.closed = false;
      this.fieldStart = false;
      return;
    }
    this.closed = false;
    this.matched = b === delim[this.matched] ? this.matched + 1 : b === delim[0] ? 1 : 0;
    this.fieldStart = this.matched === delim.length;
    if (this.fieldStart) this.matched = 0;
  }
}

/**
 * Streams `path` once and cuts it after the head into ranges of about `rangeBytes`, each starting after a
 * multiple of `alignRows` data rows (non-blank records), so that a range read in batches of `alignRows` rows
 * batches its rows as a read of the whole file does. Every range has a data row (or a bad one), as the reader
 * requires of a file: a tail of blank lines stays with the range before it.
 */
export async function cutTextFile(path: string, o: CutOptions): Promise<TextCuts> {
  const scanner = new RecordScanner(o);
  const starts: { start: number; firstRecord: number; rowsBefore: number }[] = [];
  let records = 0;
  let rows = 0; // data rows (non-blank records after the head)
  let offset = 0; // file offset of the current block
  let block: Buffer = Buffer.alloc(0);
  let recStart = 0; // file offset of the record under way
  let recContent = false; // it has a byte other than '\r' (so far)
  let next = Infinity; // the offset the current range may end at
  let headBytes = -1;
  const startRange = (at: number): void => {
    starts.push({ start: at, firstRecord: records + 1, rowsBefore: rows });
    next = at + o.rangeBytes;
  };
  const onRecordEnd = (i: number): void => {
    if (!recContent) recContent = notOnlyCR(block, Math.max(0, recStart - offset), i);
    records += 1;
    recStart = offset + i + 1;
    if (headBytes < 0) {
      if (records === o.headRecords) {
        headBytes = recStart;
        startRange(recStart);
      }
    } else if (recContent) {
      rows += 1;
      if (recStart >= next && rows % o.alignRows === 0) startRange(recStart);
    }
    recContent = false;
  };
  if (o.headRecords === 0) {
    headBytes = 0;
    startRange(0);
  }
  for await (const buf of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    block = buf;
    scanner.scan(buf, onRecordEnd);
    if (!recContent) recContent = notOnlyCR(buf, Math.max(0, recStart - offset), buf.length);
    offset += buf.length;
  }
  if (recStart < offset) {
    records += 1; // a last record without newline
    if (recContent && headBytes >= 0) rows += 1;
  }
  if (headBytes < 0) {
    headBytes = offset;
    startRange(offset);
  }
  if (starts.length > 1 && (starts.at(-1) as { rowsBefore: number }).rowsBefore === rows) starts.pop();
  const ranges = starts.map((s, k) => ({ ...s, end: starts[k + 1]?.start ?? offset }));
  return { headBytes, dataFirstRecord: o.headRecords + 1, ranges, records, bytes: offset };
}

/** Whether bytes [from, to) of `buf` hold one other than '\r'. */
function notOnlyCR(buf: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (buf[i] !== 13) return true;
  return false;
}
