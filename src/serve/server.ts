import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { FastifyInstance } from 'fastify';
import { WideDeepError } from '../core/errors.js';
import type { FittedSpec } from '../features/fitted-spec.js';
import type { WideDeepModel } from '../model/wide-deep.js';
import { MicroBatcher } from './batcher.js';
import { type BatchOptions, DEFAULT_BATCH, DEFAULT_DRAIN_SECONDS, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_ROWS } from './defaults.js';
import type { ServerControl } from './cluster.js';
import { type ModelSlot, fixedSlot, openSlot } from './model-slot.js';
import { type BundleWatcher, watchBundle } from './watch.js';
import { type AppConfig, type Timeouts, buildApp } from './http/app.js';
import { drain } from './http/drain.js';
import { DEFAULT_MAX_DEPTH } from './http/json-body.js';
import { ServeMetrics } from './http/metrics.js';
import { type ServeRuntime, localControl } from './http/runtime.js';

/**
 * An HTTP server that scores rows with a loaded model: the serving half of the paper's system (Cheng et al.
 * 2016, section 4: candidates come in a request, are scored in one batch, and go back in the same order).
 * Fastify (src/serve/http/) in front of a model slot (hot reload, model-slot.ts) and a micro-batcher that
 * coalesces concurrent requests into one model call (batcher.ts):
 *
 *   GET  /health        -> 200 {"status":"ok"} while the process answers (liveness)
 *   GET  /ready         -> 200 {"status":"ready"}; 503 while the model loads or the server drains (readiness)
 *   GET  /metadata      -> {"digest", "loadedAt", "source", "outputs", "classes" (multi-class), "inputs"}
 *   POST /predict       {"rows":[{...}, ...], "explain": false, "topK": 5}  (content-type: application/json)
 *                       -> 200 {"predictions":[p, ...]} (a number per row; class probabilities for a
 *                          multi-class model), or with "explain": true {"explanations":[{...}, ...]} as
 *                          `widedeep predict --explain` writes them; header x-model-digest names the model
 *   GET  /metrics       -> Prometheus text (src/serve/http/metrics.ts)
 *   GET  /openapi.json  -> the OpenAPI 3 document, from the routes' own schemas
 *   POST /admin/reload  -> {"digests": [...]}, with `authorization: Bearer <admin token>` (absent without one)
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
 * with the same error shape (code RUNTIME) naming the row, never with a null prediction. Limits (body size,
 * nesting depth, rows, timeouts) answer before the cost they guard against is paid: docs/SERVING.md.
 */
export interface ServeOptions {
  /** Interface to listen on. Default 127.0.0.1 (this machine only); '0.0.0.0' for every interface. */
  readonly host?: string;
  /** Port; 0 takes a free one (see RunningServer.url). Default 8080. */
  readonly port?: number;
  /** Most rows in one request. Default 10,000. */
  readonly maxRows?: number;
  /** Largest request body in bytes. Default 16 MiB. */
  readonly maxBodyBytes?: number;
  /** Deepest nesting of objects and arrays in a body. Default 32. */
  readonly maxDepth?: number;
  /** Bytes of large bodies (over 1/16 of maxBodyBytes) held at once; more wait unread (BodyBudget). Default maxBodyBytes. */
  readonly maxBytesInFlight?: number;
  /** Micro-batching: most rows per model call and longest wait for more (batcher.ts; DEFAULT_BATCH). */
  readonly batch?: Partial<BatchOptions>;
  /** Follow the bundle directory and reload when its current version changes (serveBundle only). */
  readonly watch?: boolean;
  /** ONNX Runtime intra-op threads of a model the server loads. */
  readonly threads?: number;
  /** On close, how long requests in flight may take before their connections are cut. Default 10 s. */
  readonly drainSeconds?: number;
  /** Request, header and keep-alive timeouts in ms. Defaults: DEFAULT_TIMEOUTS. */
  readonly timeouts?: Partial<Timeouts>;
  /** Enables POST /admin/reload with `authorization: Bearer <adminToken>`. Default: no admin route. */
  readonly adminToken?: string;
  /** Requires `x-api-key` (or `authorization: Bearer`) on every route but /health and /ready. Default: none. */
  readonly apiKey?: string;
  /** Origins a browser may call the server from (CORS). Default: none. */
  readonly corsOrigins?: readonly string[];
  /** pino request log: options (level, stream), or false. Default false (the CLI logs JSON lines to stderr). */
  readonly logger?: AppConfig['logger'];
  /** Receives one line per failed (5xx) request, with its stack. Default: none. */
  readonly log?: (line: string) => void;
  /** Reload and metrics for the whole server: set by a cluster worker (cluster.ts). Default: this process. */
  readonly control?: ServerControl;
}

export interface RunningServer {
  /** http://host:port of the listening server. */
  readonly url: string;
  /** Requests answered so far, by status class. */
  readonly counts: { readonly ok: number; readonly clientErrors: number; readonly serverErrors: number };
  /** This process's metrics (a cluster's primary merges its workers'). */
  readonly registry: Registry;
  /** Drains (src/serve/http/drain.ts): /ready answers 503, requests in flight finish (cut after drainSeconds), then the model is released. */
  close(): Promise<void>;
}

/** The name of old. */
export type ModelServer = RunningServer;

/** A whole request in 60 s, its headers in 10 s; keep-alive connections idle for 5 s are closed (Node's default). */
export const DEFAULT_TIMEOUTS: Timeouts = { requestMs: 60_000, headersMs: 10_000, keepAliveMs: 5_000 };

/** Starts a server for `model` and `spec` (the caller keeps the model, and releases it after `close`). */
export function serveModel(model: WideDeepModel, spec: FittedSpec, options: ServeOptions = {}): Promise<RunningServer> {
  return startServer(async () => fixedSlot(model, spec), options);
}

/**
 * Serves the bundle directory `dir` (its current version): listens first, so /health answers and /ready says
 * 503 while the model loads, then loads it. Resolves once the model serves. The server owns the model.
 */
export function serveBundle(dir: string, options: ServeOptions = {}): Promise<RunningServer> {
  return startServer(() => openSlot(dir, options.threads !== undefined ? { threads: options.threads } : {}), options, dir);
}

function appConfig(options: ServeOptions): AppConfig {
  return {
    maxRows: options.maxRows ?? DEFAULT_MAX_ROWS,
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    maxDepth: options.maxDepth ?? DEFAULT_MAX_DEPTH,
    maxBytesInFlight: options.maxBytesInFlight ?? options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    timeouts: { ...DEFAULT_TIMEOUTS, ...options.timeouts },
    logger: options.logger ?? false,
    ...(options.log !== undefined ? { log: options.log } : {}),
    ...(options.adminToken !== undefined ? { adminToken: options.adminToken } : {}),
    ...(options.apiKey !== undefined ? { apiKey: options.apiKey } : {}),
    ...(options.corsOrigins !== undefined ? { corsOrigins: options.corsOrigins } : {}),
  };
}

/** Listens; a port taken or not allowed is a WideDeepError (IO) that names the address and the fix. */
async function listen(app: FastifyInstance, host: string, port: number): Promise<void> {
  try {
    await app.listen({ port, host });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EADDRINUSE' && code !== 'EACCES' && code !== 'EADDRNOTAVAIL') throw err;
    await app.close();
    throw new WideDeepError('IO', `cannot listen on ${host}:${port}: ${code}`, { field: '--port', fix: 'choose another --port or --host (--port 0 takes a free port)' }, { cause: err });
  }
}

async function startServer(open: () => Promise<ModelSlot>, options: ServeOptions, dir?: string): Promise<RunningServer> {
  const metrics = new ServeMetrics();
  const rt: ServeRuntime = { phase: 'loading', slot: undefined, batcher: undefined, metrics, control: undefined as unknown as ServerControl, counts: { ok: 0, clientErrors: 0, serverErrors: 0 } };
  const local = localControl(rt);
  rt.control = options.control ?? local;
  options.control?.attach?.(local);
  const { app, front } = await buildApp(rt, appConfig(options));
  await listen(app, options.host ?? '127.0.0.1', options.port ?? 8080);
  try {
    const slot = await open();
    rt.slot = slot;
    metrics.model(slot.current());
    slot.onSwap((served, previous) => {
      metrics.model(served);
      app.log.info({ digest: served.digest, previous: previous.digest, source: served.source, loadSeconds: served.loadSeconds }, 'model swapped');
    });
    rt.batcher = new MicroBatcher(slot, { ...DEFAULT_BATCH, ...options.batch, onBatch: (s) => metrics.batch(s) });
  } catch (err) {
    await app.close();
    throw err;
  }
  rt.phase = 'ready';
  app.log.info({ url: urlOf(app), digest: rt.slot.current().digest, source: dir ?? 'memory' }, 'ready');
  // --watch: follow the bundle directory (a cluster's primary watches for its workers instead).
  const slot = rt.slot;
  const watcher: BundleWatcher | undefined = options.watch === true && dir !== undefined ? watchBundle(dir, () => slot.reload(), { log: (line) => app.log.warn(line) }) : undefined;
  let closing: Promise<void> | undefined;
  return {
    url: urlOf(app),
    counts: rt.counts,
    registry: metrics.registry,
    close: () => {
      watcher?.close();
      return (closing ??= drain(app, rt, front, options.drainSeconds ?? DEFAULT_DRAIN_SECONDS));
    },
  };
}

function urlOf(app: FastifyInstance): string {
  const address = app.server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}
