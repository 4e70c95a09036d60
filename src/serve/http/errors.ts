import { WideDeepError } from '../../core/errors.js';

/**
 * The errors of the HTTP side and the one body every failure is answered with:
 * `{"error":{"code","message","row"?,"field"?,"fix"?}}` (the shape `widedeep serve` has always answered), so a
 * client handles a refused row, a refused body and a server failure alike. Statuses: 400 for a request the
 * server refuses (codes JSON, REQUEST, and the transform's DATA/CONFIG/BATCH naming the row and field), 401
 * AUTH, 404 NOT_FOUND, 405 METHOD (with `Allow`), 413 TOO_LARGE, 415 MEDIA_TYPE, 500 RUNTIME (a model output
 * that is not finite, naming the row) or INTERNAL, 503 NOT_READY.
 */

export interface HttpErrorDetails {
  readonly row?: number;
  readonly field?: string;
  readonly fix?: string;
}

/** A request the server refuses or fails, with its HTTP status and the headers that go with it. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: HttpErrorDetails = {},
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

/** The answer body of an error. */
export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string } & HttpErrorDetails;
}

export function errorBody(e: HttpError): ErrorBody {
  return { error: { code: e.code, message: e.message, ...e.details } };
}

/** A client that went away before its request was read: logged as one line, never answered. */
export const ABORTED = 'ABORTED';

/** Fastify's own errors that reach the error handler, as the same shape (the rest are bugs: 500 INTERNAL). */
function fromFastify(err: { code?: unknown; statusCode?: unknown; message: string }): HttpError | undefined {
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_EMPTY_TYPE':
      return new HttpError(415, 'MEDIA_TYPE', 'the body must be JSON, sent with content-type: application/json', { fix: "send the header 'content-type: application/json' (curl: -H 'content-type: application/json')" }, { connection: 'close' });
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new HttpError(413, 'TOO_LARGE', err.message, { fix: 'send fewer rows per request' }, { connection: 'close' });
    case 'ECONNRESET':
      // The request's body stream when its client went away mid-body (Node's 'aborted'): logged, never answered.
      return new HttpError(400, ABORTED, 'the client closed the connection before sending the whole body');
    case 'FST_ERR_REQ_TIMEOUT':
      return new HttpError(408, 'TIMEOUT', 'the request was not received in time', { fix: 'send the whole request within the server timeout' }, { connection: 'close' });
    default:
      return undefined;
  }
}

/**
 * The status and body of a failure: an HttpError as it is; a WideDeepError of the transform or the model
 * (400 DATA/CONFIG/BATCH naming the row and field; 500 RUNTIME naming the row, a NaN or infinite output);
 * Fastify's refusals; anything else is a bug (500 INTERNAL, the detail in the log only).
 */
export function asHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof WideDeepError && (err.code === 'DATA' || err.code === 'CONFIG' || err.code === 'BATCH' || err.code === 'RUNTIME')) {
    const { row, field, fix } = err.details;
    return new HttpError(err.code === 'RUNTIME' ? 500 : 400, err.code, err.reason, { ...(row !== undefined ? { row } : {}), ...(field !== undefined ? { field } : {}), ...(fix !== undefined ? { fix } : {}) });
  }
  if (err instanceof Error) {
    const mapped = fromFastify(err as Error & { code?: unknown });
    if (mapped !== undefined) return mapped;
  }
  return new HttpError(500, 'INTERNAL', 'the server failed to answer the request', { fix: 'see the server log' });
}

export function notFound(path: string): HttpError {
  return new HttpError(404, 'NOT_FOUND', `no route ${path}`, { fix: 'POST /predict; GET /health, /ready, /metadata, /metrics or /openapi.json' });
}

/** 405 with the `Allow` header RFC 9110 asks for. */
export function wrongMethod(path: string, method: string, allowed: readonly string[]): HttpError {
  const fix = allowed.includes('POST') ? `POST ${path} with a JSON body` : `${allowed[0] ?? 'GET'} ${path}`;
  return new HttpError(405, 'METHOD', `${path} takes ${allowed.join(' or ')}, not ${method}`, { fix }, { allow: allowed.join(', ') });
}
