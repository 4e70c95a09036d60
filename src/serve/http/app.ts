import { type RequestListener, createServer } from 'node:http';
import type { Socket } from 'node:net';
import fastifyCors from '@fastify/cors';
import fastifySwagger from '@fastify/swagger';
import Fastify, { LogController, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { LIBRARY_VERSION } from '../../artifact/bundle.js';
import { registerAdmin, requireApiKey } from './admin.js';
import { BodyBudget } from './body-budget.js';
import { clientErrorHandler } from './client-error.js';
import { ABORTED, HttpError, asHttpError, errorBody, notFound, wrongMethod } from './errors.js';
import { type Failure, type RequestFacts, recordAnswer, settleFailure } from './outcome.js';
import { type BodyValidator, directPredict } from './direct-predict.js';
import { FrontDoor } from './front.js';
import { parseJsonBody, tooLarge } from './json-body.js';
import { registerRoutes } from './routes.js';
import type { ServeRuntime } from './runtime.js';
import { predictBody, requestError } from './schemas.js';

/**
 * The Fastify application of `widedeep serve`: limits, timeouts, request ids and logs, errors, 404/405, CORS,
 * the API key, OpenAPI, and the routes (routes.ts, admin.ts). One pino line per request (`request`), with the
 * request id a client sent in `x-request-id` (or a fresh one), echoed back in the answer's `x-request-id`
 * (front.ts: what each request meets before Fastify).
 */

export interface Timeouts {
  /** Whole request (headers and body) must arrive within this. */
  readonly requestMs: number;
  /** Headers must arrive within this. */
  readonly headersMs: number;
  /** A keep-alive connection idle this long is closed. */
  readonly keepAliveMs: number;
}

export interface AppConfig {
  readonly maxRows: number;
  readonly maxBodyBytes: number;
  readonly maxDepth: number;
  /** Bytes of large bodies held at once (BodyBudget). */
  readonly maxBytesInFlight: number;
  readonly timeouts: Timeouts;
  /** pino options (level, stream), or false for no log. */
  readonly logger: false | { readonly level?: string; readonly stream?: NodeJS.WritableStream };
  /** One line per failed (5xx) request, with its stack (the library's callback of old). */
  readonly log?: (line: string) => void;
  readonly adminToken?: string;
  readonly apiKey?: string;
  readonly corsOrigins?: readonly string[];
}

/** Node's http server with the timeouts that close half-sent requests and idle connections, `front` before Fastify. */
function serverFactory(t: Timeouts, front: FrontDoor) {
  const headersTimeout = Math.min(t.headersMs, t.requestMs);
  // Node checks both timeouts every connectionsCheckingInterval (default 30 s): check often enough to honour them.
  const connectionsCheckingInterval = Math.max(50, Math.min(30_000, Math.floor(headersTimeout / 4)));
  return (handler: RequestListener) => createServer({ requestTimeout: t.requestMs, headersTimeout, keepAliveTimeout: t.keepAliveMs, connectionsCheckingInterval }, front.wrap(handler));
}

/** Which methods each path takes, for 405 answers with `Allow`. */
function methodTable(app: FastifyInstance): Map<string, string[]> {
  const table = new Map<string, string[]>();
  app.addHook('onRoute', (route) => {
    if (route.url === '*' || route.url.endsWith('*')) return;
    const methods = table.get(route.url) ?? [];
    for (const m of Array.isArray(route.method) ? route.method : [route.method]) if (!methods.includes(m)) methods.push(m);
    table.set(route.url, methods);
  });
  return table;
}

/** Failures are answered in the one error shape; aborted requests are logged as one line and not answered (outcome.ts). */
function onError(rt: ServeRuntime, config: AppConfig, timedOut: WeakSet<Socket>) {
  return (err: FastifyError, request: FastifyRequest, reply: FastifyReply): unknown => {
    const e =
      err.validation !== undefined && err.validationContext === 'body'
        ? requestError(err.validation, request.body, config.maxRows)
        : err.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
          ? tooLarge(config.maxBodyBytes)
          : asHttpError(err);
    const failure = { error: e, cause: err };
    failures.set(request, failure);
    if (!settleFailure(rt, timedOut, factsOf(request), failure, config.log)) return reply.hijack();
    return reply.code(e.status).headers(e.headers).send(errorBody(e));
  };
}

const failures = new WeakMap<FastifyRequest, Failure>();

const factsOf = (request: FastifyRequest): RequestFacts => ({ method: request.method, url: request.url, socket: request.raw.socket, log: request.log });

/** One log line per answered request, and its metrics. */
function onResponse(rt: ServeRuntime) {
  return (request: FastifyRequest, reply: FastifyReply, done: () => void): void => {
    recordAnswer(rt, factsOf(request), request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime, failures.get(request));
    done();
  };
}

/** Bodies up to this size never wait for the body budget (and are the ones the direct /predict path reads). */
const smallBody = (maxBytes: number): number => maxBytes / 16;

/**
 * A large JSON body (over 1/16 of the limit; all chunked ones, whose size is unknown) takes its size from the
 * budget before it is read and gives it back once answered (the response's `close`: finished or cut). Small
 * bodies, the usual requests, never wait; bodies over the limit are refused by the parser without waiting.
 */
function holdBodies(app: FastifyInstance, budget: BodyBudget, maxBytes: number): void {
  const small = smallBody(maxBytes);
  // Callback form: the usual small body goes on at once, without a promise.
  app.addHook('preParsing', (request, reply, payload, done) => {
    const type = request.headers['content-type'];
    if (type === undefined || !type.toLowerCase().startsWith('application/json')) return done(null, payload);
    const length = request.headers['content-length'];
    const bytes = length !== undefined ? Number(length) : maxBytes;
    if (!(bytes > small) || bytes > maxBytes) return done(null, payload);
    budget.take(bytes).then((release) => {
      if (request.raw.socket.destroyed) {
        release();
        return done(new HttpError(400, ABORTED, 'the client closed the connection while its request waited to be read'));
      }
      reply.raw.once('close', release);
      done(null, payload);
    }, done);
  });
}

/** The app, its routes registered, and its front door (front.ts); not listening yet. */
export async function buildApp(rt: ServeRuntime, config: AppConfig): Promise<{ readonly app: FastifyInstance; readonly front: FrontDoor }> {
  const timedOut = new WeakSet<Socket>();
  const front = new FrontDoor();
  const app = Fastify({
    clientErrorHandler: clientErrorHandler(rt.metrics, { timedOut, readingBody: (socket) => front.readingBody(socket) }),
    serverFactory: serverFactory(config.timeouts, front),
    logger: config.logger === false ? false : { level: config.logger.level ?? 'info', ...(config.logger.stream !== undefined ? { stream: config.logger.stream } : {}) },
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: (req) => front.idOf(req),
    bodyLimit: config.maxBodyBytes,
    return503OnClosing: false,
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
  });
  const methods = methodTable(app);
  app.removeAllContentTypeParsers();
  // Fastify reads the body (413 past the limit) and hands it over whole; json-body.ts checks its depth and parses it.
  app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: config.maxBodyBytes }, (request, body, done) => {
    try {
      const parsed = parseJsonBody(body as Buffer, config.maxDepth);
      if (request.url.startsWith('/predict')) rt.metrics.body('json');
      done(null, parsed);
    } catch (err) {
      done(err as FastifyError, undefined);
    }
  });
  // Hooks in callback form: an async hook costs a promise and a microtask on every request.
  holdBodies(app, new BodyBudget(Math.max(config.maxBytesInFlight, config.maxBodyBytes)), config.maxBodyBytes);
  app.addHook('onResponse', onResponse(rt));
  app.setErrorHandler(onError(rt, config, timedOut));
  app.setNotFoundHandler(async (request) => {
    const path = request.url.split('?')[0] ?? '/';
    const allowed = methods.get(path);
    throw allowed !== undefined ? wrongMethod(path, request.method, allowed) : notFound(path);
  });
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'widedeep serve', version: LIBRARY_VERSION, description: 'Wide & Deep model server: docs/SERVING.md' },
      components: { securitySchemes: { adminToken: { type: 'http', scheme: 'bearer' }, apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' } } },
    },
  });
  if (config.corsOrigins !== undefined && config.corsOrigins.length > 0) {
    await app.register(fastifyCors, { origin: [...config.corsOrigins], methods: ['GET', 'HEAD', 'POST'], allowedHeaders: ['content-type', 'authorization', 'x-api-key', 'x-request-id'], exposedHeaders: ['x-request-id', 'x-model-digest'], maxAge: 600 });
  }
  if (config.apiKey !== undefined) requireApiKey(app, config.apiKey);
  registerRoutes(app, rt, config.maxRows);
  if (config.adminToken !== undefined) registerAdmin(app, rt, config.adminToken);
  await app.ready();
  // The plain POST /predict skips Fastify's per-request steps (direct-predict.ts); with an API key or CORS every
  // request goes through Fastify's hooks.
  const compile = app.validatorCompiler;
  if (compile !== undefined && config.apiKey === undefined && (config.corsOrigins?.length ?? 0) === 0) {
    const validate = compile({ schema: predictBody(config.maxRows), method: 'POST', url: '/predict', httpPart: 'body' }) as BodyValidator;
    front.direct = directPredict({ rt, maxRows: config.maxRows, maxDepth: config.maxDepth, maxBytes: smallBody(config.maxBodyBytes), validate, timedOut, logger: app.log, ...(config.log !== undefined ? { log: config.log } : {}) });
  }
  return { app, front };
}

