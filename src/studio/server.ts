import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { WideDeepError } from '../core/errors.js';
import { errorBody } from '../serve/http/errors.js';
import { registerApi } from './api-routes.js';
import { noModel, notFound, onlyGet, studioError, wrongHost } from './http-errors.js';
import { contentType, fileUnder } from './static-files.js';
import { DEFAULT_PORT } from './defaults.js';

/**
 * `widedeep studio`'s server: a small Fastify app on 127.0.0.1 that serves the single-page app (dist-studio/,
 * built by scripts/build-studio.mjs), its JSON API (api-routes.ts), the browser build of widedeep (dist-web/)
 * at /web and the model bundle at /bundle, so the page scores rows with `loadBundle('/bundle')`. Read-only:
 * GET (and HEAD) only, static files never outside their folder, and requests naming a host other than the
 * loopback name the page was opened with are refused (a DNS-rebinding page cannot read the runs).
 */

export interface StudioOptions {
  /** The folder walked for run.json and *.jsonl results files. */
  readonly runsDir: string;
  /** The model bundle directory (`<out>/model`); absent: the model and what-if views say how to give one. */
  readonly modelDir?: string;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 8765; 0 takes a free port. */
  readonly port?: number;
  /** The built app (index.html, app.js, app.css). Default: the package's dist-studio/. */
  readonly appDir?: string;
  /** The browser build of widedeep. Default: the package's dist-web/. */
  readonly webDir?: string;
  /** One line per failed (5xx) request and per warning. */
  readonly log?: (line: string) => void;
}

export interface Studio {
  readonly url: string;
  close(): Promise<void>;
}

const PACKAGE_ROOT = resolve(fileURLToPath(import.meta.url), '../../..');

/** Loopback names a page may reach the studio by; any other Host header is refused. */
function allowedHost(hostHeader: string | undefined, bound: string): boolean {
  if (hostHeader === undefined) return false;
  const name = hostHeader.replace(/:\d+$/, '').replace(/^\[|\]$/g, '').toLowerCase();
  const loopback = bound === '127.0.0.1' || bound === 'localhost' || bound === '::1';
  if (!loopback) return true; // bound to a public address on purpose: the user chose to expose it
  return name === '127.0.0.1' || name === 'localhost' || name === '::1';
}

/** Serves `rawPath` from `root` (or 404); `immutable`: version files of a bundle never change once written. */
function sendFrom(root: string, rawPath: string, reply: FastifyReply): FastifyReply {
  const file = fileUnder(root, rawPath);
  if (file === null) throw notFound(rawPath);
  const immutable = /(^|\/)v-\d+\//.test(rawPath);
  return reply
    .header('content-type', contentType(file))
    .header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
    .send(readFileSync(file));
}

/** The part of the request's raw URL after `prefix` (still percent-encoded, query removed). */
function after(request: FastifyRequest, prefix: string): string {
  return (request.raw.url ?? '').split('?')[0]?.slice(prefix.length) ?? '';
}

function registerStatic(app: FastifyInstance, options: { appDir: string; webDir: string; modelDir: string | null }): void {
  const index = (_request: FastifyRequest, reply: FastifyReply) => sendFrom(options.appDir, 'index.html', reply);
  app.get('/', index);
  app.get('/index.html', index);
  app.get('/studio/*', (request, reply) => sendFrom(options.appDir, after(request, '/studio/'), reply));
  app.get('/web/*', (request, reply) => sendFrom(options.webDir, after(request, '/web/'), reply));
  app.get('/bundle/*', (request, reply) => {
    if (options.modelDir === null) throw noModel();
    return sendFrom(options.modelDir, after(request, '/bundle/'), reply);
  });
  app.get('/favicon.ico', (_request, reply) => reply.code(204).send());
}

/** Builds the app (routes registered, not listening). */
export async function buildStudioApp(options: StudioOptions): Promise<FastifyInstance> {
  const host = options.host ?? '127.0.0.1';
  const appDir = resolve(options.appDir ?? resolve(PACKAGE_ROOT, 'dist-studio'));
  const webDir = resolve(options.webDir ?? resolve(PACKAGE_ROOT, 'dist-web'));
  const modelDir = options.modelDir !== undefined ? resolve(options.modelDir) : null;
  const app = Fastify({ logger: false, return503OnClosing: false });
  app.addHook('onRequest', (request, reply, done) => {
    if (!allowedHost(request.headers.host, host)) {
      const e = wrongHost(request.headers.host ?? '(none)');
      void reply.code(e.status).send(errorBody(e));
      return;
    }
    done();
  });
  app.setErrorHandler((err, request, reply) => {
    const e = studioError(err);
    if (e.status >= 500) options.log?.(`widedeep studio: ${request.method} ${request.url}: ${err instanceof Error ? (err instanceof WideDeepError ? err.message : (err.stack ?? err.message)) : String(err)}`);
    return reply.code(e.status).headers(e.headers).send(errorBody(e));
  });
  app.setNotFoundHandler(async (request) => {
    const path = request.url.split('?')[0] ?? '/';
    throw request.method !== 'GET' && request.method !== 'HEAD' ? onlyGet(path, request.method) : notFound(path);
  });
  registerApi(app, { runsDir: resolve(options.runsDir), modelDir });
  registerStatic(app, { appDir, webDir, modelDir });
  if (!existsSync(resolve(appDir, 'index.html'))) options.log?.(`widedeep studio: warning: no app at ${appDir} (fix: npm run build:studio); the API still answers`);
  if (!existsSync(resolve(webDir, 'widedeep-web.js'))) options.log?.(`widedeep studio: warning: no browser build at ${webDir} (fix: npm run build:web); the what-if view cannot score`);
  await app.ready();
  return app;
}

/** Starts the studio and answers its URL; `close()` stops it (connections closed, nothing left running). */
export async function startStudio(options: StudioOptions): Promise<Studio> {
  const host = options.host ?? '127.0.0.1';
  const app = await buildStudioApp(options);
  try {
    await app.listen({ host, port: options.port ?? DEFAULT_PORT });
  } catch (err) {
    await app.close();
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
      throw new WideDeepError('IO', `cannot listen on ${host}:${options.port ?? DEFAULT_PORT}: ${code}`, { field: '--port', fix: 'choose another --port or --host (--port 0 takes a free port)' }, { cause: err });
    }
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : (options.port ?? DEFAULT_PORT);
  const shown = host.includes(':') ? `[${host}]` : host;
  return { url: `http://${shown}:${port}`, close: () => app.close() };
}
