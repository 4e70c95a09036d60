import cluster, { type Worker } from 'node:cluster';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { AggregatorRegistry, Registry } from 'prom-client';
import { WideDeepError } from '../core/errors.js';
import { type Ask, Asker, answer, type Counts, fromWire, isMessage, type Message } from './cluster-ipc.js';
import type { RunningServer, ServeOptions } from './server.js';
import { Coalesced } from './coalesced.js';
import { type BundleWatcher, watchBundle } from './watch.js';

/**
 * `widedeep serve --workers N` (issue #15; the CLI serves this way with one worker by default, so that the
 * worker starts with the serving young generation below): N processes serve one port through node:cluster,
 * each with its own model slot and micro-batcher (src/serve/cluster-worker.ts runs serveBundle in each). The primary scores
 * nothing: it starts the workers, restarts one that dies (one log line), and is the one place that speaks for
 * the whole server. A worker's POST /admin/reload asks the primary, which reloads every worker and answers
 * every digest; a worker's GET /metrics asks the primary, which merges every worker's registry
 * (prom-client's AggregatorRegistry.aggregate). `--watch` watches in the primary, which reloads every worker
 * on a new version. `close()` (the CLI calls it on SIGTERM) drains every worker within `drainSeconds`.
 */

/** What a worker's HTTP app asks of the whole server (single process: the local slot; cluster: the primary over IPC). */
export interface ServerControl {
  /** Every process's digest after the reload. */
  reload(): Promise<{ digests: string[] }>;
  /** Aggregated over processes. */
  metrics(): Promise<{ contentType: string; text: string }>;
  /**
   * Called by the server (serveBundle) with its own process's control once it starts: a cluster worker's
   * control forwards reload and metrics to the primary and answers the primary's requests with this one.
   */
  attach?(local: ServerControl): void;
}

/** ServeOptions as they cross to a worker: functions and streams stay in the primary (a worker logs on its stderr). */
function wireOptions(options: ServeOptions): Record<string, unknown> {
  const { logger, log: _log, control: _control, watch: _watch, ...plain } = options as ServeOptions & { workers?: number };
  delete (plain as { workers?: number }).workers;
  const level = logger === false || logger === undefined ? false : { level: logger.level ?? 'info' };
  return { ...plain, logger: level };
}

/**
 * V8's young generation in the serving workers: semi-spaces of at most 4 MB instead of V8's default (which grew
 * to 16 MB under load). A 200-candidate request allocates ~100 KB; with 16 MB a scavenge came every ~100
 * requests and paused 1.2-1.5 ms, and those pauses set the p99. With 4 MB the pauses are shorter and more
 * frequent: p99 at 200 candidates ~4.7 -> ~3.0 ms, at 100 ~3.5 -> ~2.6 ms, rows/s unchanged (one client on the
 * shared 2-core machine; 2 MB and 1 MB cut the tail as much but cost 6-9% of the rows/s; BENCHMARKS.md,
 * "Serving on Fastify", session 14). V8 sizes the young generation when a process starts (setting it from
 * JavaScript later changes nothing), which is why the CLI serves from worker processes. Left out when the
 * user sets the young generation (in node's own flags or NODE_OPTIONS, which the workers inherit).
 */
export const YOUNG_GENERATION_FLAG = '--max-semi-space-size=4';

function youngGeneration(): string[] {
  const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  return given.some((f) => f.includes('semi-space')) ? [] : [YOUNG_GENERATION_FLAG];
}

/**
 * The worker module (cluster-worker, beside this module's file: in dist/, in src/, or beside a bundle that has
 * this module inside it) and the Node flags that load it: the compiled .js as it is, the .ts sources through tsx.
 */
function workerEntry(): { exec: string; execArgv: string[] } {
  const self = fileURLToPath(import.meta.url);
  const ts = self.endsWith('.ts');
  const exec = self.replace(/[^/\\]+\.(ts|js)$/, `cluster-worker.${ts ? 'ts' : 'js'}`);
  return { exec, execArgv: [...(ts ? ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href] : []), ...youngGeneration()] };
}

interface Handle {
  readonly worker: Worker;
  readonly asker: Asker;
  listening: boolean;
  counts: Counts | null;
}

/** The primary's view of the workers. */
class Primary {
  readonly handles = new Map<number, Handle>();
  readonly counts = { ok: 0, clientErrors: 0, serverErrors: 0 };
  closing = false;
  /** Rounds of reloads, concurrent calls coalesced as a slot's are. */
  private readonly reloads = new Coalesced(async () => ({ digests: (await this.askAll('reload')).flatMap((r) => (r as { digests: string[] }).digests) }));

  constructor(
    private readonly dir: string,
    private readonly options: ServeOptions,
    private readonly say: (line: string) => void,
  ) {}

  /** Forks one worker and resolves with its URL once its model serves (rejects with its start error). */
  fork(): Promise<string> {
    const worker = cluster.fork({ WIDEDEEP_SERVE_WORKER: '1' });
    const handle: Handle = { worker, asker: new Asker(), listening: false, counts: null };
    this.handles.set(worker.id, handle);
    const send = (m: Message) => worker.send(m);
    return new Promise<string>((resolve, reject) => {
      worker.on('message', (m: unknown) => {
        if (!isMessage(m) || handle.asker.settle(m)) return;
        if (m.t === 'wd:ready') send({ t: 'wd:start', dir: this.dir, options: wireOptions(this.options) });
        else if (m.t === 'wd:listening') {
          handle.listening = true;
          resolve(m.url);
        } else if (m.t === 'wd:failed') reject(fromWire(m.error));
        else if (m.t === 'wd:closed') handle.counts = m.counts;
        else if (m.t === 'wd:ask') void answer(m, (what) => (what === 'reload' ? this.reloadAll() : this.metrics()), send);
      });
      worker.on('exit', (code, signal) => {
        this.handles.delete(worker.id);
        handle.asker.failAll(new WideDeepError('INTERNAL', `worker ${worker.process.pid} exited while answering`));
        if (handle.counts !== null) for (const k of ['ok', 'clientErrors', 'serverErrors'] as const) this.counts[k] += handle.counts[k];
        if (!handle.listening) reject(new WideDeepError('INTERNAL', `a serve worker exited before its model served (${signal ?? `exit code ${code}`})`, { fix: 'see the worker\'s error above' }));
        else if (!this.closing) this.restart(worker, code, signal);
      });
    });
  }

  private restart(worker: Worker, code: number | null, signal: string | null): void {
    this.say(`worker ${worker.process.pid} exited (${signal ?? `exit code ${code}`}); starting another`);
    this.fork().catch((err: unknown) => {
      if (!this.closing) this.say(`a restarted worker did not start: ${(err as Error).message}`);
    });
  }

  /** Asks every serving worker; rejects with the first failure once all have answered. */
  private async askAll(what: Ask): Promise<unknown[]> {
    const live = [...this.handles.values()].filter((h) => h.listening);
    const results = await Promise.allSettled(live.map((h) => h.asker.ask((m) => h.worker.send(m), what)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    return results.map((r) => (r as PromiseFulfilledResult<unknown>).value);
  }

  /** Reloads every worker (concurrent calls coalesced, src/serve/coalesced.ts); every digest after it. */
  reloadAll(): Promise<{ digests: string[] }> {
    return this.reloads.run();
  }

  /** Every worker's metrics, merged. */
  async metrics(): Promise<{ contentType: string; text: string }> {
    const merged = AggregatorRegistry.aggregate((await this.askAll('metrics')) as object[]);
    return { contentType: merged.contentType, text: await merged.metrics() };
  }

  /** Drains every worker (each within its drainSeconds) and waits for them to exit. */
  async close(): Promise<void> {
    this.closing = true;
    const grace = ((this.options.drainSeconds ?? 10) + 5) * 1000;
    await Promise.all(
      [...this.handles.values()].map(
        (h) =>
          new Promise<void>((resolve) => {
            if (h.worker.isDead()) return resolve();
            const kill = setTimeout(() => h.worker.process.kill('SIGKILL'), grace);
            h.worker.once('exit', () => {
              clearTimeout(kill);
              resolve();
            });
            if (h.worker.isConnected()) h.worker.send({ t: 'wd:close' } satisfies Message);
            else h.worker.process.kill('SIGTERM');
          }),
      ),
    );
  }
}

/** The primary's registry: every worker's metrics, merged when read. */
class ClusterRegistry extends Registry {
  constructor(private readonly primary: Primary) {
    super();
  }

  override async metrics(): Promise<string> {
    return (await this.primary.metrics()).text;
  }
}

/**
 * Serves `dir` from `options.workers` processes on one port (node:cluster; port 0 works: the workers share the
 * primary's port). Resolves once every worker's model serves; rejects with a worker's start error (and stops
 * the others). Call from the primary process only.
 */
export async function serveCluster(dir: string, options: ServeOptions & { workers: number }): Promise<RunningServer> {
  if (!cluster.isPrimary) throw new WideDeepError('INTERNAL', 'serveCluster runs in the primary process, not in a cluster worker');
  if (!(options.workers >= 1)) throw new WideDeepError('CONFIG', `workers must be 1 or more, got ${options.workers}`, { field: '--workers' });
  cluster.setupPrimary(workerEntry());
  const say = (line: string): void => {
    if (options.log !== undefined) options.log(`widedeep serve: ${line}`);
    else if (options.logger !== undefined && options.logger !== false && options.logger.stream !== undefined) {
      options.logger.stream.write(`${JSON.stringify({ level: 40, time: Date.now(), pid: process.pid, msg: line })}\n`);
    }
  };
  const primary = new Primary(dir, options, say);
  let urls: string[];
  try {
    urls = await Promise.all(Array.from({ length: options.workers }, () => primary.fork()));
  } catch (err) {
    await primary.close();
    throw err;
  }
  let watcher: BundleWatcher | undefined;
  if (options.watch === true) watcher = watchBundle(dir, () => primary.reloadAll(), { log: say });
  let closing: Promise<void> | undefined;
  return {
    url: urls[0] as string,
    counts: primary.counts,
    registry: new ClusterRegistry(primary),
    close: () => {
      watcher?.close();
      return (closing ??= primary.close());
    },
  };
}
