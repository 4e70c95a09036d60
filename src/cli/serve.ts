import { loadBundle } from '../artifact/bundle.js';
import { WideDeepError } from '../core/errors.js';
import { DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_ROWS, serveModel } from '../serve/server.js';
import { THREADS_OPTION, flags, intFlag, log, out, required, threadsFlag } from './args.js';

export const SERVE_OPTIONS = {
  model: { type: 'string', value: 'dir', required: true, help: 'the model bundle' },
  host: { type: 'string', default: '127.0.0.1', value: 'host', help: 'the address to listen on' },
  port: { type: 'string', value: 'port', help: 'the port to listen on (0: any free port)', shown: '8080' },
  'max-rows': { type: 'string', value: 'n', help: 'rows one request may carry', shown: String(DEFAULT_MAX_ROWS) },
  'max-body-mb': { type: 'string', value: 'mb', help: 'largest request body, in MiB', shown: String(DEFAULT_MAX_BODY_BYTES / (1 << 20)) },
  ...THREADS_OPTION,
} as const;

/**
 * Serves a bundle over HTTP (src/serve/server.ts) until SIGINT or SIGTERM, then lets requests in flight
 * finish. Prints one line with the URL once it listens.
 */
export async function serve(argv: string[]): Promise<number> {
  const { values } = flags('serve', argv, SERVE_OPTIONS);
  const dir = required('serve', values.model, 'model');
  const port = intFlag(values.port, 'port') ?? 8080;
  if (port < 0 || port > 65535) throw new WideDeepError('CONFIG', `--port must be from 0 to 65535, got ${port}`, { field: '--port', fix: 'use e.g. --port 8080 (0: any free port)' });
  const maxRows = intFlag(values['max-rows'], 'max-rows') ?? DEFAULT_MAX_ROWS;
  const maxBodyMb = intFlag(values['max-body-mb'], 'max-body-mb') ?? DEFAULT_MAX_BODY_BYTES / (1 << 20);
  for (const [flag, v] of [['max-rows', maxRows], ['max-body-mb', maxBodyMb]] as const) {
    if (v < 1) throw new WideDeepError('CONFIG', `--${flag} must be at least 1, got ${v}`, { field: `--${flag}` });
  }
  const threads = threadsFlag(values.threads);
  const { model, bundle } = await loadBundle(dir, threads !== undefined ? { threads } : {});
  let server;
  try {
    server = await serveModel(model, bundle.spec, { host: values.host, port, maxRows, maxBodyBytes: maxBodyMb * (1 << 20), log });
  } catch (err) {
    await model.release();
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE' || e.code === 'EACCES' || e.code === 'EADDRNOTAVAIL') {
      throw new WideDeepError('IO', `cannot listen on ${values.host}:${port}: ${e.code}`, { field: '--port', fix: 'choose another --port or --host (--port 0 takes a free port)' });
    }
    throw err;
  }
  out(JSON.stringify({ event: 'listening', url: server.url, model: dir }));
  const stop = new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  const signal = await stop;
  await server.close();
  await model.release();
  log(`widedeep serve: ${signal}: stopped after ${server.counts.ok} answered, ${server.counts.clientErrors} refused, ${server.counts.serverErrors} failed requests`);
  return 0;
}
