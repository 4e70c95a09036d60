import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';

/**
 * The first `maxBytes` bytes of a (possibly gzipped) file, decoded; `complete` says the whole file fit.
 * Bounded memory for any file size.
 */
export async function readHeadText(
  path: string,
  encoding: 'utf-8' | 'latin-1' | 'utf-16',
  maxBytes = 1 << 18,
): Promise<{ text: string; complete: boolean }> {
  let stream: Readable = createReadStream(path, { highWaterMark: 1 << 16 });
  if (path.endsWith('.gz')) stream = stream.pipe(createGunzip());
  const parts: Buffer[] = [];
  let total = 0;
  for await (const buf of stream as AsyncIterable<Buffer>) {
    parts.push(buf);
    total += buf.length;
    if (total >= maxBytes) break;
  }
  stream.destroy();
  const bytes = Buffer.concat(parts).subarray(0, maxBytes);
  const label = encoding === 'latin-1' ? 'latin1' : encoding === 'utf-16' ? 'utf-16le' : 'utf-8';
  return { text: new TextDecoder(label).decode(bytes), complete: total < maxBytes };
}

/**
 * Splits text into records (quote-aware: a newline inside quotes does not end a record), at most `max`.
 * The last record is dropped when the text was cut in the middle of it (`complete` false).
 */
export function splitRecords(text: string, quote: string, escape: string, max: number, complete: boolean): string[] {
  const out: string[] = [];
  let start = 0;
  let inQuote = false;
  for (let i = 0; i < text.length && out.length < max; i++) {
    const ch = text[i];
    if (inQuote) {
      if (ch === escape && escape !== quote) i++;
      else if (ch === quote) inQuote = false;
    } else if (ch === quote && quote !== '') inQuote = true;
    else if (ch === '\n') {
      out.push(text.slice(start, text[i - 1] === '\r' ? i - 1 : i));
      start = i + 1;
    }
  }
  if (out.length < max && complete && start < text.length) out.push(text.slice(start).replace(/\r$/, ''));
  return out;
}

/** Splits one record into fields, removing quotes and escapes. */
export function splitFields(record: string, delimiter: string, quote: string, escape: string): string[] {
  const fields: string[] = [];
  let cur = '';
  let inQuote = false;
  for (let i = 0; i < record.length; i++) {
    const ch = record[i] as string;
    if (inQuote) {
      if (ch === escape && record[i + 1] !== undefined && (escape !== quote || record[i + 1] === quote)) {
        cur += record[i + 1];
        i++;
      } else if (ch === quote) inQuote = false;
      else cur += ch;
    } else if (quote !== '' && ch === quote) inQuote = true;
    else if (record.startsWith(delimiter, i)) {
      fields.push(cur);
      cur = '';
      i += delimiter.length - 1;
    } else cur += ch;
  }
  fields.push(cur);
  return fields;
}

/**
 * Picks the delimiter among ',', TAB, '|', ';' that splits the sample records into the same number (> 1) of
 * fields everywhere; undefined when none does.
 */
export function detectDelimiter(records: readonly string[], quote: string, escape: string): string | undefined {
  let best: { d: string; n: number } | undefined;
  for (const d of [',', '\t', '|', ';']) {
    const counts = records.filter((r) => r !== '').map((r) => splitFields(r, d, quote, escape).length);
    const n = counts[0];
    if (n === undefined || n < 2 || counts.some((c) => c !== n)) continue;
    if (best === undefined || n > best.n) best = { d, n };
  }
  return best?.d;
}
