import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FittedSpec } from '../features/fitted-spec.js';
import type { WideDeepModel } from '../model/wide-deep.js';
import { WideDeepError } from '../core/errors.js';
import { inputColumns } from '../features/checks.js';
import { predictRows } from './predict-rows.js';

/**
 * An HTTP server that scores rows with a loaded model: the serving half of the paper's system (Cheng et al.
 * 2016, section 4: candidates come in a request, are scored in one batch, and go back in the same order).
 *
 *   GET  /health    -> 200 {"status":"ok"}
 *   GET  /metadata  -> {"outputs", "classes" (multi-class models), "inputs": the columns a row may carry}
 *   POST /predict   {"rows":[{...}, ...], "explain": false, "topK": 5}
 *                   -> 200 {"predictions":[p, ...]} (a number per row; a list of class probabilities for a
 *                      multi-class model), or with "explain": true {"explanations":[{...}, ...]} as
 *                      `widedeep predict --explain` writes them
 *
 * Rows are JSON objects keyed by input column, transformed exactly as `predict` transforms them (the fitted
 * spec's serving transform): a column a row leaves out, or gives as null, is missing (id 0, or the numeric
 * column's missing strategy). Keys the model does not read are ignored, as `predict` and training ignore
 * columns no feature reads (clients send whole records), and the answer lists them in "ignoredColumns" (the
 * label and weight columns aside): a misspelt column shows there instead of passing as missing unseen.
 *
 * A bad request is answered 4xx with {"error":{code, message, row?, field?, fix?}} naming the row (1-based,
 * in request order) and the field; nothing else is affected. A value that is not finite once transformed to
 * float32 (1e40, say) is such a bad row. A model whose output for a row is NaN or infinite is answered 500
 * with the same error shape (code RUNTIME) naming the row, never with a null prediction. Requests are scored
 * one batch at a time (WideDeepModel.predict queues), in arrival order.
 */
export interface ServeOptions {
  /** Interface to listen on. Default 127.0.0.1 (this machine only); '0.0.0.0' for every interface. */
  readonly host?: string;
  /** Port; 0 takes a free one (see ModelServer.url). Default 8080. */
  readonly port?: number;
  /** Most rows in one request. Default 10,000. */
  readonly maxRows?: number;
  /** Largest request body in bytes. Default 16 MiB. */
  readonly maxBodyBytes?: number;
  /** Receives one line per failed request (the 5xx ones with their stack). Default: none. */
  readonly log?: (line: string) => void;
}

export interface ModelServer {
  /** http://host:port of the listening server. */
  readonly url: string;
  /** Requests answered so far, by status class. */
  readonly counts: { readonly ok: number; readonly clientErrors: number; readonly serverErrors: number };
  /** Stops accepting connections, lets requests in flight finish, then resolves. */
  close(): Promise<void>;
}

export const DEFAULT_MAX_ROWS = 10_000;
export const DEFAULT_MAX_BODY_BYTES = 16 << 20;
const MAX_TOP_K = 1000;

/** A request the server refuses, with its HTTP status. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: { readonly row?: number; readonly field?: string; readonly fix?: string } = {},
  ) {
    super(message);
  }
}

/** Starts a server for `model` and `spec` (the caller keeps the model, and releases it after `close`). */
export async function serveModel(model: WideDeepModel, spec: FittedSpec, options: ServeOptions = {}): Promise<ModelServer> {
  const maxRows = options.maxRows ?? DEFAULT_MAX_ROWS;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const counts = { ok: 0, clientErrors: 0, serverErrors: 0 };
  const metadata = { outputs: model.outputs, ...(spec.label?.kind === 'multiclass' ? { classes: spec.label.classes } : {}), inputs: inputColumns(spec) };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/health' || path === '/metadata') {
      if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, 'METHOD', `${path} takes GET, not ${req.method}`, { fix: `GET ${path}` });
      return send(res, 200, path === '/health' ? { status: 'ok' } : metadata);
    }
    if (path !== '/predict') throw new HttpError(404, 'NOT_FOUND', `no route ${path}`, { fix: 'POST /predict, GET /health or GET /metadata' });
    if (req.method !== 'POST') throw new HttpError(405, 'METHOD', `/predict takes POST, not ${req.method}`, { fix: 'POST a JSON body {"rows": [...]}' });
    const body = parseRequest(await readBody(req, maxBodyBytes), maxRows);
    // WideDeepModel queues concurrent predict calls: requests are scored one at a time, in arrival order.
    // A request scores every row it sends or none (a bad row is a 400, never a shorter answer).
    return send(res, 200, await predictRows(model, spec, body.rows, { explain: body.explain, topK: body.topK, source: 'request' }));
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const e = asHttpError(err);
      if (e.status >= 500) options.log?.(`widedeep serve: ${req.method} ${req.url}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      // The body of a refused request may still be arriving: answer, then close the connection.
      if (!res.headersSent) send(res, e.status, { error: { code: e.code, message: e.message, ...e.details } }, e.status === 413);
    });
  });
  server.on('request', (_req: IncomingMessage, res: ServerResponse) => {
    res.on('finish', () => {
      if (res.statusCode < 400) counts.ok += 1;
      else if (res.statusCode < 500) counts.clientErrors += 1;
      else counts.serverErrors += 1;
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8080, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    counts,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeIdleConnections();
      }),
  };
}

interface PredictRequest {
  readonly rows: Record<string, unknown>[];
  readonly explain: boolean;
  readonly topK: number;
}

function send(res: ServerResponse, status: number, body: unknown, close = false): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...(close ? { connection: 'close' } : {}) });
  res.end(text);
}

/** The body as text; a body over `limit` bytes is refused (413) without reading the rest. */
function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(tooLarge(limit));
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    req.on('data', (part: Buffer) => {
      size += part.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(tooLarge(limit));
        return;
      }
      parts.push(part);
    });
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

function tooLarge(limit: number): HttpError {
  return new HttpError(413, 'TOO_LARGE', `request body over ${limit} bytes`, { fix: 'send fewer rows per request, or start the server with a larger body limit' });
}

/** Checks a /predict body: {"rows": [object, ...], "explain"?: boolean, "topK"?: integer}. */
function parseRequest(text: string, maxRows: number): PredictRequest {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw new HttpError(400, 'JSON', `the body is not JSON: ${(err as Error).message}`, { fix: 'POST a JSON body {"rows": [{...}, ...]}' });
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new HttpError(400, 'REQUEST', 'the body must be a JSON object', { fix: 'POST {"rows": [{...}, ...]}' });
  }
  const valid = ['rows', 'explain', 'topK'];
  for (const key of Object.keys(body)) {
    if (!valid.includes(key)) throw new HttpError(400, 'REQUEST', `unknown key "${key}" in the request`, { field: key, fix: `valid keys are: ${valid.join(', ')}` });
  }
  const { rows, explain, topK } = body as { rows?: unknown; explain?: unknown; topK?: unknown };
  if (!Array.isArray(rows) || rows.length === 0) throw new HttpError(400, 'REQUEST', '"rows" must be a non-empty list of row objects', { field: 'rows', fix: 'POST {"rows": [{"column": value, ...}]}' });
  if (rows.length > maxRows) throw new HttpError(400, 'REQUEST', `${rows.length} rows in one request, more than the limit of ${maxRows}`, { field: 'rows', fix: 'split the rows over several requests' });
  rows.forEach((r, i) => {
    if (typeof r !== 'object' || r === null || Array.isArray(r)) throw new HttpError(400, 'REQUEST', 'a row must be a JSON object keyed by column', { row: i + 1, field: 'rows', fix: 'send {"column": value, ...} for every row' });
  });
  if (explain !== undefined && typeof explain !== 'boolean') throw new HttpError(400, 'REQUEST', '"explain" must be true or false', { field: 'explain' });
  if (topK !== undefined && (!Number.isInteger(topK) || (topK as number) < 1 || (topK as number) > MAX_TOP_K)) {
    throw new HttpError(400, 'REQUEST', `"topK" must be a whole number from 1 to ${MAX_TOP_K}`, { field: 'topK' });
  }
  return { rows: rows as Record<string, unknown>[], explain: explain === true, topK: (topK as number | undefined) ?? 5 };
}

/**
 * The HTTP status and body of a failure: a refused request, a row the transform refuses (400), a row the model
 * cannot score (500 naming the row: a NaN or infinite output, `checkFiniteOutput`), or a bug (500).
 */
function asHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof WideDeepError && (err.code === 'DATA' || err.code === 'CONFIG' || err.code === 'BATCH' || err.code === 'RUNTIME')) {
    const { row, field, fix } = err.details;
    return new HttpError(err.code === 'RUNTIME' ? 500 : 400, err.code, err.reason, { ...(row !== undefined ? { row } : {}), ...(field !== undefined ? { field } : {}), ...(fix !== undefined ? { fix } : {}) });
  }
  return new HttpError(500, 'INTERNAL', 'the server failed to score the request', { fix: 'see the server log' });
}
