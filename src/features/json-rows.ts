import type { ColumnValues, RowChunk } from '../data/types.js';
import { inNumber, sameBytes, shortAscii } from './json-bytes.js';

/** The deepest a body this reader takes nests: body, rows, row, list. */
export const JSON_ROWS_DEPTH = 4;

/**
 * A `{"rows": [{...}, ...]}` body read from its bytes straight into a RowChunk: exactly the chunk that
 * `rowsToChunk(JSON.parse(body).rows, { source })` builds (rows.ts: the same columns in the same first-seen
 * order, the same kinds, values and row numbers), without the parsed rows as objects in between.
 *
 * It reads the common shape only and answers `undefined` for anything else, so that the caller takes the
 * general path (JSON.parse, the schema, rowsToChunk), which accepts or refuses the body with its exact error:
 * a top-level key other than `rows`; no rows, or more than `maxRows`; a row that is not an object; a value that
 * is an object, or a list holding null, a list or an object; a column that mixes lists and single values; a
 * string with an escape or a control character; a key that starts with a digit (JSON.parse's objects list
 * array-index keys first, which would change the first-seen order); a key given twice in one row; more than
 * `maxKeys` distinct keys; and anything that is not JSON. Nesting is 4 levels at most (body, rows, row, list),
 * so the reader itself never goes deep, whatever the body.
 *
 * Why: a serving request of 200 candidates spent ~200 us in JSON.parse and ~60 us in rowsToChunk, and its
 * parsed rows and the body as a string were a third of the 157 KB it allocated (scavenges set the latency
 * tail); the paper's request repeats one user's context in every row, and a value whose bytes equal the
 * column's value in the previous row is taken from it, not decoded again (BENCHMARKS.md, "Serving on Fastify",
 * session 14).
 */
export function jsonRowsChunk(body: Buffer, options: { readonly source: string; readonly maxRows: number; readonly maxKeys?: number }): RowChunk | undefined {
  const reader = new RowsReader(body, options.maxKeys ?? Infinity);
  return reader.read(options.maxRows) ? reader.chunk(options.source) : undefined;
}

/**
 * What the rows say of one column, and its values as the rows give them (undefined or a hole: the row leaves
 * it out), in an array sized for the body's rows (estimated from its first row), which becomes the chunk's.
 */
interface Column {
  readonly name: string;
  /** Whether its first present value is a list (undefined: none yet). */
  list: boolean | undefined;
  /** Whether any single value is a string or a boolean (the column is then text). */
  text: boolean;
  values: (number | string | boolean | readonly string[] | null | undefined)[];
  /** The row that gave it last (a second time in one row is a duplicate key). */
  row: number;
  /** The bytes of the last value given, and that value (a repeated value is not decoded again). */
  start: number;
  end: number;
  value: number | string | boolean | readonly string[] | null;
}

const QUOTE = 0x22;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_LIST = 0x5b;
const CLOSE_LIST = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const BACKSLASH = 0x5c;
const MINUS = 0x2d;
const ZERO = 0x30;
const NINE = 0x39;
/** `rows` */
const ROWS = [0x72, 0x6f, 0x77, 0x73];
/** Integers of up to 15 digits, and decimals of up to 15 digits in all, are exact in a double and computed here. */
const EXACT_DIGITS = 15;
const POWERS = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

/** Thrown inside the reader when the body is not of the common shape; caught by `read`. */
const NOT_COMMON = new Error('not the common shape');

class RowsReader {
  private at = 0;
  private rows = 0;
  private readonly columns: Column[] = [];
  private readonly byName = new Map<string, Column>();
  /** The previous row's columns by position (a row with the same keys in the same order finds them there). */
  private readonly previous: Column[] = [];
  /** Where the previous row's keys are in the body: key j at [keyStart[j], keyEnd[j]). */
  private readonly keyStart: number[] = [];
  private readonly keyEnd: number[] = [];
  private previousLength = 0;

  private readonly view: DataView;

  constructor(
    private readonly b: Buffer,
    /** More distinct keys than this: the general path (rowsToChunk's `maxKeys` error). */
    private readonly maxKeys: number,
  ) {
    this.view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }

  /** Reads the whole body; false when it is not of the common shape. */
  read(maxRows: number): boolean {
    try {
      this.expect(OPEN_OBJECT);
      this.expect(QUOTE);
      for (const c of ROWS) if (this.b[this.at++] !== c) return false;
      if (this.b[this.at++] !== QUOTE) return false;
      this.expect(COLON);
      this.expect(OPEN_LIST);
      do {
        if (this.rows === maxRows) return false;
        this.expect(OPEN_OBJECT);
        const start = this.at;
        this.row();
        if (this.rows === 0) this.sizeFrom(this.at - start + 1, maxRows);
        this.rows += 1;
      } while (this.next(COMMA, CLOSE_LIST));
      this.expect(CLOSE_OBJECT);
      this.skipSpace();
      return this.at === this.b.length;
    } catch (err) {
      if (err === NOT_COMMON) return false;
      throw err;
    }
  }

  /** Sizes the columns' arrays for the rows a body of first rows of `rowBytes` holds (a quarter more, at most `maxRows`). */
  private sizeFrom(rowBytes: number, maxRows: number): void {
    const expected = Math.min(maxRows, Math.ceil((1.25 * this.b.length) / rowBytes) + 1);
    for (const c of this.columns) {
      const values = new Array(expected);
      values[0] = c.values[0];
      c.values = values;
    }
  }

  chunk(source: string): RowChunk {
    const n = this.rows;
    const columns = new Map<string, ColumnValues>();
    for (const c of this.columns) columns.set(c.name, valuesOf(c, n));
    const rowNumbers = new Int32Array(n);
    for (let i = 0; i < n; i++) rowNumbers[i] = i + 1;
    return { numRows: n, columns, source, rowNumbers };
  }

  /** One row's members, after its `{`. */
  private row(): void {
    this.skipSpace();
    if (this.b[this.at] === CLOSE_OBJECT) {
      this.at += 1;
      this.previousLength = 0;
      return;
    }
    let j = 0;
    do {
      this.skipSpace();
      const column = this.key(j);
      this.previous[j++] = column;
      if (column.row === this.rows) throw NOT_COMMON;
      column.row = this.rows;
      this.expect(COLON);
      this.skipSpace();
      this.member(column);
    } while (this.next(COMMA, CLOSE_OBJECT));
    this.previousLength = j;
  }

  /** A key, from its opening quote: the column at position j of the previous row when it is the same token. */
  private key(j: number): Column {
    const b = this.b;
    const at = this.at;
    if (j < this.previousLength) {
      const start = this.keyStart[j]!;
      const end = this.keyEnd[j]!;
      if (sameBytes(b, this.view, start, end, at, at + end - start)) {
        this.keyStart[j] = at;
        this.at = this.keyEnd[j] = at + end - start;
        return this.previous[j]!;
      }
    }
    if (b[at] !== QUOTE) throw NOT_COMMON;
    this.at = at + 1;
    const end = this.stringEnd();
    if (b[at + 1]! >= ZERO && b[at + 1]! <= NINE) throw NOT_COMMON;
    this.keyStart[j] = at;
    this.keyEnd[j] = end + 1;
    const name = this.decode(at + 1, end);
    let column = this.byName.get(name);
    if (column === undefined) {
      // Only the first row's columns get arrays sized for the body (sizeFrom): their count is bounded by that
      // row's bytes, where a later row's new keys could be any number.
      if (this.columns.length === this.maxKeys) throw NOT_COMMON;
      column = { name, list: undefined, text: false, values: [], row: -1, start: 0, end: 0, value: null };
      this.byName.set(name, column);
      this.columns.push(column);
    }
    return column;
  }

  /**
   * A member's value, checked as rowsToChunk checks it and stored at this row. The same token as the column's
   * previous value (the user's context in each candidate's row) is that value, not read again: its facts are
   * already the column's.
   */
  private member(c: Column): void {
    const b = this.b;
    const start = this.at;
    let value: number | string | boolean | readonly string[] | null;
    const length = c.end - c.start;
    if (length > 0 && sameBytes(b, this.view, c.start, c.end, start, start + length) && !inNumber(b[start + length])) {
      this.at = start + length;
      value = c.value;
    } else {
      const first = b[start];
      if (first === OPEN_LIST) value = this.list();
      else if (first === QUOTE) {
        this.at += 1;
        value = this.decode(start + 1, this.stringEnd());
        c.text = true;
      } else if (first === 0x74 || first === 0x66) {
        value = this.word(first === 0x74);
        c.text = true;
      } else if (first === 0x6e) {
        this.literal('null');
        value = null;
      } else value = this.number();
      if (value !== null) {
        const list = first === OPEN_LIST;
        if (c.list === undefined) c.list = list;
        else if (c.list !== list) throw NOT_COMMON;
      }
      c.start = start;
      c.end = this.at;
      c.value = value;
    }
    c.values[this.rows] = value;
  }

  /** A list of strings, numbers or booleans, from its `[`: its items as strings (as rowsToChunk gives them). */
  private list(): readonly string[] {
    this.at += 1;
    const items: string[] = [];
    this.skipSpace();
    if (this.b[this.at] === CLOSE_LIST) {
      this.at += 1;
      return items;
    }
    do {
      this.skipSpace();
      const first = this.b[this.at];
      if (first === QUOTE) {
        const s = ++this.at;
        items.push(this.decode(s, this.stringEnd()));
      } else if (first === 0x74 || first === 0x66) items.push(String(this.word(first === 0x74)));
      else items.push(String(this.number()));
    } while (this.next(COMMA, CLOSE_LIST));
    return items;
  }

  /** A string's closing quote, after its opening one (the position after it); escapes and control bytes refused. */
  private stringEnd(): number {
    const b = this.b;
    let i = this.at;
    for (;;) {
      const c = b[i];
      if (c === QUOTE) break;
      if (c === BACKSLASH || c === undefined || c < 0x20) throw NOT_COMMON;
      i++;
    }
    this.at = i + 1;
    return i;
  }

  /** Bytes as text, decoded as the general path decodes the whole body (UTF-8, invalid bytes replaced). */
  private decode(start: number, end: number): string {
    const b = this.b;
    for (let i = start; i < end; i++) if (b[i]! >= 0x80) return b.toString('utf8', start, end);
    return end - start <= 8 ? shortAscii(b, start, end) : b.toString('latin1', start, end);
  }

  /** A JSON number, exactly as JSON.parse reads it. */
  private number(): number {
    const b = this.b;
    const start = this.at;
    let i = start;
    const negative = b[i] === MINUS;
    if (negative) i++;
    let digits = 0;
    let mantissa = 0;
    if (b[i] === ZERO) {
      i++;
      digits = 1;
    } else {
      while (b[i]! >= ZERO && b[i]! <= NINE) {
        mantissa = mantissa * 10 + (b[i++]! - ZERO);
        digits++;
      }
      if (digits === 0) throw NOT_COMMON;
    }
    let fraction = 0;
    if (b[i] === 0x2e) {
      i++;
      while (b[i]! >= ZERO && b[i]! <= NINE) {
        mantissa = mantissa * 10 + (b[i++]! - ZERO);
        fraction++;
      }
      if (fraction === 0) throw NOT_COMMON;
    }
    let exponent = false;
    if (b[i] === 0x65 || b[i] === 0x45) {
      exponent = true;
      i++;
      if (b[i] === 0x2b || b[i] === MINUS) i++;
      const s = i;
      while (b[i]! >= ZERO && b[i]! <= NINE) i++;
      if (i === s) throw NOT_COMMON;
    }
    this.at = i;
    // A mantissa of at most 15 digits is exact, and so is 10^fraction: one division rounds correctly.
    if (!exponent && digits + fraction <= EXACT_DIGITS) {
      const v = fraction === 0 ? mantissa : mantissa / POWERS[fraction]!;
      return negative ? -v : v;
    }
    return Number(this.decode(start, i));
  }

  private word(truth: boolean): boolean {
    this.literal(truth ? 'true' : 'false');
    return truth;
  }

  private literal(text: string): void {
    for (let k = 0; k < text.length; k++) if (this.b[this.at++] !== text.charCodeAt(k)) throw NOT_COMMON;
  }

  /** Skips white space, then the byte `c` (else the body is refused). */
  private expect(c: number): void {
    this.skipSpace();
    if (this.b[this.at++] !== c) throw NOT_COMMON;
  }

  /** After white space: true past a `more` byte, false past an `end` byte; anything else refuses the body. */
  private next(more: number, end: number): boolean {
    this.skipSpace();
    const c = this.b[this.at++];
    if (c === more) return true;
    if (c === end) return false;
    throw NOT_COMMON;
  }

  private skipSpace(): void {
    const b = this.b;
    let c = b[this.at];
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = b[++this.at];
  }
}

/** The column's values as rowsToChunk's columnOf makes them (its array, made over in place, for text and lists). */
function valuesOf(c: Column, n: number): ColumnValues {
  const v = c.values;
  v.length = n;
  if (c.list === true) {
    for (let i = 0; i < n; i++) v[i] ??= null;
    return v as (readonly string[] | null)[];
  }
  if (c.text || c.list === undefined) {
    for (let i = 0; i < n; i++) {
      const x = v[i];
      v[i] = x === null || x === undefined ? null : typeof x === 'string' ? x : String(x);
    }
    return v as (string | null)[];
  }
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x = v[i];
    out[i] = typeof x === 'number' ? x : NaN;
  }
  return out;
}
