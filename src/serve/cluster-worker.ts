import cluster from 'node:cluster';
import { WideDeepError } from '../core/errors.js';
import { type Ask, Asker, answer, isMessage, type Message, toWire } from './cluster-ipc.js';
import type { ServerControl } from './cluster.js';
import { batchedLog } from './http/log-destination.js';
import { type RunningServer, type ServeOptions, serveBundle } from './server.js';

/**
 * One process of `serve --workers N` (src/serve/cluster.ts forks this module): it asks the primary for the
 * bundle directory and options, serves them with serveBundle on the shared port, forwards its /admin/reload
 * and /metrics to the primary (which speaks for every worker), and answers the primary's own reload and
 * metrics requests with its local slot and registry. It drains and exits on the primary's `close`, on SIGTERM
 * or SIGINT (a terminal's Ctrl-C reaches every process of the group), and when the primary goes away.
 */

function send(m: Message): void {
  process.send?.(m);
}

/** The control a worker's routes use: the whole server's, through the primary. */
class WorkerControl implements ServerControl {
  local: ServerControl | null = null;
  readonly asker = new Asker();

  reload(): Promise<{ digests: string[] }> {
    return this.asker.ask(send, 'reload') as Promise<{ digests: string[] }>;
  }

  metrics(): Promise<{ contentType: string; text: string }> {
    return this.asker.ask(send, 'metrics') as Promise<{ contentType: string; text: string }>;
  }

  attach(local: ServerControl): void {
    this.local = local;
  }
}

async function main(): Promise<void> {
  const control = new WorkerControl();
  let server: RunningServer | null = null;
  let stopping: Promise<void> | null = null;
  const logs = batchedLog();
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await server?.close();
      logs.close();
      const counts = server?.counts ?? { ok: 0, clientErrors: 0, serverErrors: 0 };
      if (process.connected) await new Promise<void>((resolve) => process.send?.({ t: 'wd:closed', counts: { ...counts } } satisfies Message, () => resolve()));
      process.exit(0);
    })());
  const local = (what: Ask): Promise<unknown> => {
    if (what === 'metrics') {
      if (server === null) throw new WideDeepError('INTERNAL', 'this worker is not serving yet');
      return server.registry.getMetricsAsJSON();
    }
    if (control.local === null) throw new WideDeepError('INTERNAL', 'this worker\'s server gave no local control (ServerControl.attach)');
    return control.local.reload();
  };
  process.on('message', (m: unknown) => {
    if (!isMessage(m) || control.asker.settle(m)) return;
    if (m.t === 'wd:start') void start(m.dir, m.options);
    else if (m.t === 'wd:ask') void answer(m, local, send);
    else if (m.t === 'wd:close') void stop();
  });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => void stop());
  process.on('disconnect', () => void stop());

  const start = async (dir: string, options: Record<string, unknown>): Promise<void> => {
    const logger = options.logger === false ? false : { ...(options.logger as object), stream: logs.stream };
    try {
      server = await serveBundle(dir, { ...(options as ServeOptions), logger, control });
      send({ t: 'wd:listening', url: server.url });
    } catch (err) {
      process.send?.({ t: 'wd:failed', error: toWire(err) } satisfies Message, () => process.exit(1));
    }
  };
  send({ t: 'wd:ready' });
}

if (cluster.isWorker && process.env.WIDEDEEP_SERVE_WORKER === '1') void main();
