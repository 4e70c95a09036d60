import { WideDeepError } from '../core/errors.js';
import { serveCluster } from '../serve/cluster.js';
import type { ServeOptions } from '../serve/server.js';
import { flags, intFlag, log, out, required, threadsFlag, warn } from './args.js';
import { SERVE_OPTIONS } from './options/serve.js';

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/** A flag that must be an integer >= `min`, or undefined when not given. */
function atLeast(value: string | undefined, flag: string, min: number): number | undefined {
  const n = intFlag(value, flag);
  if (n !== undefined && n < min) throw new WideDeepError('CONFIG', `--${flag} must be at least ${min}, got ${n}`, { field: `--${flag}` });
  return n;
}

/** Secrets come from the environment (flags show in `ps`); an empty variable is no secret. */
function secret(name: string): string | undefined {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  if (v.length < 16) warn('serve', { message: `${name} is ${v.length} characters long`, fix: 'use a random secret of 16 characters or more, e.g. `openssl rand -hex 32`' });
  return v;
}

/** The ServeOptions the flags and environment ask for. */
function serveOptions(values: ReturnType<typeof flags<typeof SERVE_OPTIONS>>['values']): ServeOptions {
  const port = intFlag(values.port, 'port') ?? 8080;
  if (port < 0 || port > 65535) throw new WideDeepError('CONFIG', `--port must be from 0 to 65535, got ${port}`, { field: '--port', fix: 'use e.g. --port 8080 (0: any free port)' });
  const level = values['log-level'];
  if (!LOG_LEVELS.includes(level)) throw new WideDeepError('CONFIG', `--log-level must be one of ${LOG_LEVELS.join(', ')}, got ${level}`, { field: '--log-level' });
  const maxRows = atLeast(values['max-rows'], 'max-rows', 1);
  const maxBodyMb = atLeast(values['max-body-mb'], 'max-body-mb', 1);
  const batchRows = atLeast(values['batch-max-rows'], 'batch-max-rows', 1);
  const batchWait = atLeast(values['batch-wait-ms'], 'batch-wait-ms', 0);
  const drain = atLeast(values['drain-seconds'], 'drain-seconds', 0);
  const threads = threadsFlag(values.threads);
  const adminToken = secret('WIDEDEEP_ADMIN_TOKEN');
  const apiKey = secret('WIDEDEEP_API_KEY');
  return {
    host: values.host,
    port,
    ...(maxRows !== undefined ? { maxRows } : {}),
    ...(maxBodyMb !== undefined ? { maxBodyBytes: maxBodyMb * (1 << 20) } : {}),
    batch: { ...(batchRows !== undefined ? { maxRows: batchRows } : {}), ...(batchWait !== undefined ? { maxWaitMs: batchWait } : {}) },
    ...(values.watch === true ? { watch: true } : {}),
    ...(threads !== undefined ? { threads } : {}),
    ...(drain !== undefined ? { drainSeconds: drain } : {}),
    ...(adminToken !== undefined ? { adminToken } : {}),
    ...(apiKey !== undefined ? { apiKey } : {}),
    ...(values['cors-origin'] !== undefined ? { corsOrigins: values['cors-origin'] } : {}),
    logger: { level },
  };
}

/** The primary's own lines (a worker that died, a reload's failure) go to stderr; each worker batches its request log. */
function withLogStream(options: ServeOptions): ServeOptions {
  const logger = options.logger;
  if (logger === undefined || logger === false) return options;
  return { ...options, logger: { ...logger, stream: process.stderr } };
}

/**
 * Serves a bundle over HTTP (src/serve/server.ts) from --workers worker processes (src/serve/cluster.ts) until
 * SIGINT or SIGTERM, then drains: requests in flight finish, connections still open after --drain-seconds are
 * cut. Prints one line with the URL once the model serves; logs a JSON line per request on stderr.
 */
export async function serve(argv: string[]): Promise<number> {
  const { values } = flags('serve', argv, SERVE_OPTIONS);
  const dir = required('serve', values.model, 'model');
  const workers = atLeast(values.workers, 'workers', 1) ?? 1;
  const options = withLogStream(serveOptions(values));
  // Worker processes even for one: they start with the serving young generation (cluster.ts). A port in use
  // is the server's IO error (server.ts), which names the address and the fix.
  const server = await serveCluster(dir, { ...options, workers });
  out(JSON.stringify({ event: 'listening', url: server.url, model: dir, workers }));
  const signal = await new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  await server.close();
  log(`widedeep serve: ${signal}: stopped after ${server.counts.ok} answered, ${server.counts.clientErrors} refused, ${server.counts.serverErrors} failed requests`);
  return 0;
}
