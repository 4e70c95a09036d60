import type { IncomingMessage } from 'node:http';
import { StringDecoder } from 'node:string_decoder';
import { ABORTED, HttpError } from './errors.js';

/**
 * Reads a JSON request body with its limits checked while it arrives, before parsing costs anything:
 *
 * - size: a Content-Length over the limit is refused (413) without reading a byte of the body; a body sent
 *   without one (chunked) is refused as soon as it passes the limit;
 * - depth: a linear scan of the bytes as they come (strings and escapes skipped; UTF-8 continuation bytes
 *   never look like `{`, `[` or `"`) refuses a body nested deeper than `maxDepth` (400) at the byte that goes
 *   too deep: a body nested 100,000 levels used to reach JSON.parse and then overflow the stack of the row
 *   reader (500);
 * - memory: each chunk (up to 64 KiB, a C allocation of its own) is decoded to text as it arrives and dropped,
 *   and the pieces of text are joined once for JSON.parse. Keeping the chunks and concatenating them (two
 *   copies outside V8's heap), or copying them into one buffer of the declared length, leaves the C allocator
 *   holding hundreds of MB after a burst of large bodies (measured: 30 concurrent 16 MB bodies, RSS 150 MB
 *   over its baseline for good with one buffer, 70 MB with text pieces, which V8 gives back as it collects).
 *   Bodies up to SMALL_BODY (the usual request: 200 rows are ~32 KB) keep their few chunks and decode them
 *   once at the end, as the node:http server did: decoding chunk by chunk with a StringDecoder cost ~70 us a
 *   request more (profile of one client at 200 candidates); past SMALL_BODY the held chunks are decoded and
 *   the rest goes chunk by chunk as above.
 *
 * A refusal carries `connection: close`: the rest of a refused body is never read. A client that goes away
 * mid-body rejects with code ABORTED (logged as one line, never answered).
 */

export interface BodyLimits {
  /** Largest body in bytes. */
  readonly maxBytes: number;
  /** Deepest nesting of objects and arrays. */
  readonly maxDepth: number;
}

/** Bytes of a body held as raw chunks before it is decoded piece by piece (see the file comment). */
export const SMALL_BODY = 1 << 20;

/** `{"rows":[{"apps":[...]}]}` is 4 levels; 32 leaves room and refuses a deep bomb after 32 bytes. */
export const DEFAULT_MAX_DEPTH = 32;

/** The nesting depth of JSON text fed in pieces, tracked across the pieces. */
export class DepthScan {
  private depth = 0;
  private inString = false;
  private escaped = false;

  constructor(private readonly limit: number) {}

  /**
   * False as soon as the text nests deeper than the limit. Inside a string, a tight loop skips to the next
   * quote or backslash (most of a request's bytes are strings): half the time of a byte-by-byte state machine
   * (46 against 99 us on a 32 KB body of 200 rows).
   */
  feed(bytes: Uint8Array): boolean {
    const n = bytes.length;
    const limit = this.limit;
    let depth = this.depth;
    let inString = this.inString;
    let i = 0;
    if (this.escaped && n > 0) {
      this.escaped = false;
      i = 1;
    }
    while (i < n) {
      if (inString) {
        let c = bytes[i]!;
        while (c !== 0x22 && c !== 0x5c && ++i < n) c = bytes[i]!;
        if (i >= n) break;
        if (c === 0x22) {
          inString = false;
          i += 1;
        } else if (i + 1 < n) i += 2; // a backslash: the byte after it is escaped
        else {
          this.escaped = true;
          i = n;
        }
        continue;
      }
      const c = bytes[i++]!;
      if (c === 0x22) inString = true;
      else if (c === 0x7b || c === 0x5b) {
        if (++depth > limit) return false;
      } else if (c === 0x7d || c === 0x5d) depth--;
    }
    this.depth = depth;
    this.inString = inString;
    return true;
  }
}

export function tooLarge(limit: number): HttpError {
  return new HttpError(413, 'TOO_LARGE', `request body over ${limit} bytes`, { fix: 'send fewer rows per request, or start the server with a larger body limit (--max-body-mb)' }, { connection: 'close' });
}

export function tooDeep(limit: number): HttpError {
  return new HttpError(400, 'REQUEST', `the body nests objects and arrays more than ${limit} levels deep`, { fix: 'send rows as flat objects: {"rows": [{"column": value, ...}]}' }, { connection: 'close' });
}

/** The body of `req` as parsed JSON, within `limits` (see the file comment). */
export function readJsonBody(req: IncomingMessage, limits: BodyLimits): Promise<unknown> {
  const declared = req.headers['content-length'] !== undefined ? Number(req.headers['content-length']) : undefined;
  if (declared !== undefined && declared > limits.maxBytes) return Promise.reject(tooLarge(limits.maxBytes));
  return new Promise((resolve, reject) => {
    const scan = new DepthScan(limits.maxDepth);
    let decoder: StringDecoder | undefined;
    /** Raw chunks while the body is small; text pieces once it has passed SMALL_BODY. */
    const chunks: Buffer[] = [];
    const pieces: string[] = [];
    let size = 0;
    const stop = (err: HttpError): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onClose);
      req.off('error', onClose);
      chunks.length = 0;
      pieces.length = 0;
      reject(err);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limits.maxBytes) return stop(tooLarge(limits.maxBytes));
      if (!scan.feed(chunk)) return stop(tooDeep(limits.maxDepth));
      if (decoder === undefined && size <= SMALL_BODY) return void chunks.push(chunk);
      if (decoder === undefined) {
        decoder = new StringDecoder('utf8');
        for (const held of chunks) pieces.push(decoder.write(held));
        chunks.length = 0;
      }
      pieces.push(decoder.write(chunk));
    };
    const onEnd = (): void => {
      req.off('close', onClose);
      req.off('error', onClose);
      let text: string;
      if (decoder === undefined) text = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks, size).toString('utf8');
      else {
        pieces.push(decoder.end());
        text = pieces.join('');
      }
      chunks.length = 0;
      pieces.length = 0;
      try {
        resolve(JSON.parse(text));
      } catch (err) {
        reject(new HttpError(400, 'JSON', `the body is not JSON: ${(err as Error).message}`, { fix: 'POST a JSON body {"rows": [{...}, ...]}' }));
      }
    };
    const onClose = (): void => stop(new HttpError(400, ABORTED, 'the client closed the connection before sending the whole body'));
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('close', onClose);
    req.once('error', onClose); // ECONNRESET 'aborted': the same client going away
  });
}
