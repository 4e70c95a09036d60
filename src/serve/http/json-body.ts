import { HttpError } from './errors.js';

/**
 * The JSON request body, parsed within its limits before parsing costs anything (app.ts registers
 * `parseJsonBody` as Fastify's `application/json` parser with `parseAs: 'buffer'`):
 *
 * - size: Fastify refuses a Content-Length over the limit (413) without reading a byte of the body, and a body
 *   sent without one (chunked) as soon as it passes the limit (the error handler answers both with
 *   `tooLarge`);
 * - depth: a linear scan of the bytes (strings and escapes skipped; UTF-8 continuation bytes never look like
 *   `{`, `[` or `"`) refuses a body nested deeper than `maxDepth` (400) before JSON.parse sees it: a body
 *   nested 100,000 levels used to reach JSON.parse and then overflow the stack of the row reader (500).
 *
 * Why the buffer form and not a reader of our own that scans the chunks as they arrive (until session 9): the
 * scan costs the same over the whole body, and Fastify drives its own buffer reader more cheaply than a custom
 * stream parser (with front.ts in place of two hooks: 45 us less CPU a 200-row request, BENCHMARKS.md
 * "Serving on Fastify"). Large bodies are read one at a time (BodyBudget), so the whole-body copy stays
 * bounded: after 30 concurrent 16 MB bodies RSS peaked at +116 MB and came back to +83 MB (+142..+155 and
 * +28..+41 with the chunk-by-chunk reader; test/serve/http-memory.test.ts bounds both).
 *
 * A refusal carries `connection: close`: the rest of a refused body is never read.
 */

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

/** `body` (the whole request body) parsed as JSON once its nesting is within `maxDepth`; HttpError 400 otherwise. */
export function parseJsonBody(body: Buffer, maxDepth: number): unknown {
  if (!new DepthScan(maxDepth).feed(body)) throw tooDeep(maxDepth);
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new HttpError(400, 'JSON', `the body is not JSON: ${(err as Error).message}`, { fix: 'POST a JSON body {"rows": [{...}, ...]}' });
  }
}
