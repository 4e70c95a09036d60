import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { WideDeepError } from '../../core/errors.js';
import { HttpError } from './errors.js';
import type { ServeRuntime } from './runtime.js';
import { reloadResponse } from './schemas.js';

/**
 * The secrets of a server: the admin token of POST /admin/reload and the optional API key of the data routes.
 * Both come from environment variables in the CLI (WIDEDEEP_ADMIN_TOKEN, WIDEDEEP_API_KEY), never from flags,
 * which `ps` shows to every user of the machine. Comparisons hash both sides first and compare the digests in
 * constant time, so neither the content nor the length of the secret leaks through timing.
 */

/** Whether `given` equals `secret`, in time that depends on neither. */
export function sameSecret(given: string, secret: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(secret).digest();
  return timingSafeEqual(a, b);
}

function bearer(request: FastifyRequest): string | undefined {
  const h = request.headers.authorization;
  return h !== undefined && /^bearer /i.test(h) ? h.slice(7).trim() : undefined;
}

function unauthorized(message: string, fix: string): HttpError {
  return new HttpError(401, 'AUTH', message, { fix }, { 'www-authenticate': 'Bearer' });
}

/** Routes open without the API key: the probes (a load balancer has no key) and CORS preflights. */
const OPEN = new Set(['/health', '/ready', '/admin/reload']);

/**
 * Requires `x-api-key: KEY` or `authorization: Bearer KEY` on every route but the probes and the admin route
 * (which takes the admin token). Checked on arrival, before a byte of the body is read.
 */
export function requireApiKey(app: FastifyInstance, key: string): void {
  app.addHook('onRequest', async (request) => {
    if (request.method === 'OPTIONS' || OPEN.has(request.url.split('?')[0] ?? '')) return;
    const given = request.headers['x-api-key'];
    const value = typeof given === 'string' ? given : bearer(request);
    if (value === undefined) throw unauthorized('this server requires an API key', "send the header 'x-api-key: <key>' (or 'authorization: Bearer <key>')");
    if (!sameSecret(value, key)) throw unauthorized('the API key is wrong', 'send the key the server was started with (WIDEDEEP_API_KEY)');
  });
}

/**
 * POST /admin/reload (registered only when the server has an admin token; absent, so 404, otherwise): reads
 * the bundle directory again and swaps models where the digest changed (every process of a cluster), then
 * answers {"digests": [...]}. A load that fails keeps the serving model and answers the load's error.
 */
export function registerAdmin(app: FastifyInstance, rt: ServeRuntime, token: string): void {
  const schema = { summary: 'reload the model from the bundle directory (every worker)', security: [{ adminToken: [] }], response: reloadResponse };
  const onRequest = async (request: FastifyRequest): Promise<void> => {
    const given = bearer(request);
    if (given === undefined) throw unauthorized('POST /admin/reload requires the admin token', "send 'authorization: Bearer <token>' (the server's WIDEDEEP_ADMIN_TOKEN)");
    if (!sameSecret(given, token)) throw unauthorized('the admin token is wrong', "send the server's WIDEDEEP_ADMIN_TOKEN as 'authorization: Bearer <token>'");
  };
  app.post('/admin/reload', { schema, onRequest }, async (request) => {
    try {
      const result = await rt.control.reload();
      request.log.info({ digests: result.digests }, 'model reloaded');
      return result;
    } catch (err) {
      if (!(err instanceof WideDeepError) || err.code === 'INTERNAL') throw err;
      const { field, fix } = err.details;
      // Nothing changed: the serving model stays. CONFIG: this server has no bundle directory (409).
      throw new HttpError(err.code === 'CONFIG' ? 409 : 500, err.code, err.message, { ...(field !== undefined ? { field } : {}), ...(fix !== undefined ? { fix } : {}) });
    }
  });
}
