import { WideDeepError } from '../core/errors.js';
import { HttpError } from '../serve/http/errors.js';

/**
 * The studio's failures in the one error body `widedeep serve` answers with (`{"error":{"code","message",
 * "file"?,"field"?,"fix"?}}`, src/serve/http/errors.ts): 404 NOT_FOUND for an unknown path or run, 404
 * NO_MODEL when the studio was started without --model, 405 METHOD for anything but GET, 403 HOST for a
 * request naming another host (DNS rebinding), and a WideDeepError reading a file (a bundle, a run) as 500
 * with its code, file and fix, since the page can do nothing about it but show it.
 */

export function notFound(path: string): HttpError {
  return new HttpError(404, 'NOT_FOUND', `no such page or file: ${path}`, { fix: 'open / for the app; the API is under /api (docs/STUDIO.md)' });
}

export function noRun(id: string): HttpError {
  return new HttpError(404, 'NOT_FOUND', `no run ${id} under the runs directory`, { fix: 'GET /api/runs lists the runs and their ids' });
}

export function noModel(): HttpError {
  return new HttpError(404, 'NO_MODEL', 'the studio was started without a model', { fix: 'restart it with --model <dir>, the model directory `widedeep fit --out <dir>` wrote (<dir>/model)' });
}

export function onlyGet(path: string, method: string): HttpError {
  return new HttpError(405, 'METHOD', `the studio is read-only: ${path} takes GET, not ${method}`, { fix: `GET ${path}` }, { allow: 'GET, HEAD' });
}

export function wrongHost(host: string): HttpError {
  return new HttpError(403, 'HOST', `requests for host ${host} are refused: the studio answers its own address only`, { fix: 'open the URL the studio printed' });
}

/** Any failure as an HttpError: a WideDeepError keeps its code, file, field and fix. */
export function studioError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof WideDeepError) {
    const { file, field, fix } = err.details;
    return new HttpError(500, err.code, `${file !== undefined ? `file ${file}: ` : ''}${err.reason}`, { ...(field !== undefined ? { field } : {}), ...(fix !== undefined ? { fix } : {}) }, {});
  }
  const status = (err as { statusCode?: unknown }).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) return new HttpError(status, 'REQUEST', (err as Error).message, {});
  return new HttpError(500, 'INTERNAL', 'the studio failed to answer', { fix: 'see the studio log' });
}
