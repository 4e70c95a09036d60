import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyBaseLogger } from 'fastify';
import { JSON_ROWS_DEPTH, jsonRowsChunk } from '../../features/json-rows.js';
import { keyLimit } from '../request-batch.js';
import { asHttpError, errorBody } from './errors.js';
import { parseJsonBody } from './json-body.js';
import { type Failure, recordAnswer, settleFailure } from './outcome.js';
import { type PredictRequest, predictAnswer } from './routes.js';
import type { ServeRuntime } from './runtime.js';
import { requestError } from './schemas.js';

/**
 * The plain `POST /predict` (a small JSON body with a Content-Length, no query string, a server without API
 * key or CORS, model loaded) answered from the front door (front.ts) without Fastify's per-request machinery:
 * the same steps with the same functions as the Fastify route, in the same order. The body's depth is scanned
 * and it is parsed by json-body.ts; it is checked by the route's own JSON schema (Fastify's compiled Ajv
 * validator of `predictBody`, refusals worded by `requestError`); `predictAnswer` scores it; failures are
 * mapped by `asHttpError`, counted and logged by outcome.ts, which also writes the request's log line and
 * metrics. Everything else (other routes and methods, large or chunked bodies, which take the body budget and
 * the 413 of the body limit, a missing or wrong content-type) goes through Fastify.
 *
 * Why: at one candidate a request cost ~1.7x the main-thread CPU of the previous node:http server, most of
 * the difference in Fastify's own per-request steps (routing, Request/Reply objects, the parser and hook
 * chains, reply.send), no single one of which could be switched off to effect. Skipping them saves 70-110 us a
 * request at 1 and at 200 candidates (bench/serve-handler-case.ts; BENCHMARKS.md "Serving on Fastify",
 * session 11).
 */

/** Fastify's compiled validator of a schema (Ajv: false and `errors` when the data is refused). */
export interface BodyValidator {
  (body: unknown): unknown;
  errors?: readonly { readonly instancePath: string; readonly keyword: string; readonly params: Record<string, unknown>; readonly message?: string }[] | null;
}

export interface DirectOptions {
  readonly rt: ServeRuntime;
  readonly maxRows: number;
  readonly maxDepth: number;
  /** Largest body answered here; larger ones go through Fastify (the body budget, then 413 past the limit). */
  readonly maxBytes: number;
  readonly validate: BodyValidator;
  /** Sockets the request timeout cut (their requests are logged by clientErrorHandler). */
  readonly timedOut: WeakSet<Socket>;
  /** The server's logger: each request logs through a child with its `reqId`, as Fastify's request logger. */
  readonly logger: FastifyBaseLogger;
  /** One line per failed (5xx) request, with its stack. */
  readonly log?: (line: string) => void;
}

/** A request handler that takes a plain POST /predict (true) and leaves any other request to Fastify (false). */
export function directPredict(o: DirectOptions): (req: IncomingMessage, res: ServerResponse, id: string) => boolean {
  return (req, res, id) => {
    if (req.method !== 'POST' || req.url !== '/predict' || o.rt.phase !== 'ready' || !isJson(req.headers['content-type'])) return false;
    const bytes = Number(req.headers['content-length']);
    if (!(bytes > 0 && bytes <= o.maxBytes) || req.headers['transfer-encoding'] !== undefined) return false;
    void answer(o, req, res, id, performance.now());
    return true;
  };
}

function isJson(type: string | undefined): boolean {
  if (type === undefined) return false;
  if (type === 'application/json') return true;
  const t = type.toLowerCase();
  return t === 'application/json' || t.startsWith('application/json;');
}

async function answer(o: DirectOptions, req: IncomingMessage, res: ServerResponse, id: string, start: number): Promise<void> {
  const facts = { method: 'POST', url: '/predict', socket: req.socket, log: o.logger.child({ reqId: id }) };
  let failure: Failure | undefined;
  let parsed = false;
  res.once('finish', () => recordAnswer(o.rt, facts, '/predict', res.statusCode, performance.now() - start, failure));
  try {
    const bytes = await readBody(req);
    const read = o.maxDepth >= JSON_ROWS_DEPTH ? readRows(bytes, o.maxRows, o.maxDepth, o.rt.slot !== undefined ? keyLimit(o.rt.slot.current().spec) : 0) : undefined;
    const body = read ?? parseJsonBody(bytes, o.maxDepth);
    o.rt.metrics.body(read !== undefined ? 'columns' : 'json');
    parsed = true;
    if (read === undefined && o.validate(body) !== true) throw requestError(o.validate.errors ?? [], body, o.maxRows);
    const scored = await predictAnswer(o.rt, body as PredictRequest);
    send(res, 200, { 'x-model-digest': scored.digest }, JSON.stringify(scored.body));
  } catch (err) {
    failure = { error: asHttpError(err), cause: err };
    const e = failure.error;
    // An answer already under way cannot become an error answer: the connection is cut (and the failure logged).
    if (res.headersSent) {
      settleFailure(o.rt, o.timedOut, facts, failure, o.log);
      return void res.destroy();
    }
    // As Fastify does when its body parser fails: the connection closes after the answer.
    if (!parsed) res.setHeader('connection', 'close');
    if (settleFailure(o.rt, o.timedOut, facts, failure, o.log)) send(res, e.status, e.headers, JSON.stringify(errorBody(e)));
  }
}

/**
 * The common body `{"rows": [...]}` read straight into columns (features/json-rows.ts: only what the schema
 * accepts, as rowsToChunk would build it); undefined for any other, which is parsed, depth-checked and
 * validated as the Fastify route does, so that its refusal is worded the same.
 */
function readRows(bytes: Buffer, maxRows: number, maxDepth: number, maxKeys: number): PredictRequest | undefined {
  const chunk = jsonRowsChunk(bytes, { source: 'request', maxRows, maxKeys });
  return chunk && { rows: { chunk, values: () => (parseJsonBody(bytes, maxDepth) as { rows: unknown[] }).rows } };
}

/** The whole body; rejects with the stream's error (ECONNRESET when the client goes away mid-body: ABORTED). */
function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.once('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

function send(res: ServerResponse, status: number, headers: Readonly<Record<string, string>>, body: string): void {
  res.statusCode = status;
  for (const name in headers) res.setHeader(name, headers[name]!);
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(body));
  res.end(body);
}
