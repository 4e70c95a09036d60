/**
 * The serving benchmark: `widedeep serve` against PyTorch serving peers, over HTTP on loopback, in one run.
 * One JSON line on stdout (progress on stderr).
 *
 *   npx tsx bench/serve-case.ts [--seed 1] [--repeats 3] [--seconds 3] [--latency-requests 500] [--settle-seconds 5] [--warmup-seconds 1]
 *       [--clients 8]
 *       [--single-clients 64] [--servers widedeep,httpserver,fastapi-w1-async,...] [--endpoint async]
 *       [--peer-threads 1] [--pin] [--keep-bundle DIR] [--widedeep-root DIR] [--baseline-root DIR]
 *       [--scenarios latency_200,...,fixed_rate] [--fixed-rate-seconds 60]
 *
 * The paper's serving path (Cheng et al. 2016, section 4): a request carries one user's context and a list of
 * candidate apps, every candidate is scored, the answer goes back in ~10 ms. Here: `examples/synthetic.yaml`
 * (the demo's app store: 9 input columns, 3 crosses, MLP 128-64) is trained for one epoch and saved as a
 * bundle, and every server serves that bundle (bench/serve-servers.ts): `widedeep serve` (the CLI, a child
 * process; `widedeep-w2` = `--workers 2` when the CLI has it), the PyTorch peer on http.server
 * (bench/torch_serve.py) and on FastAPI + uvicorn with 1 and 2 workers, each with an async and a sync
 * endpoint (bench/torch_serve_fastapi.py; each scenario keeps the fastest of the four), and
 * with `--baseline-root DIR` the CLI of another tree (`baseline`, e.g. `git archive HEAD` unpacked with this
 * tree's node_modules linked in: the server before a change, measured in the same run), and `floor`
 * (bench/serve-floor.ts: a node:http server that parses the body and answers fixed numbers, no model: the
 * latency this machine and client leave for any server, beside the p99 goal).
 * Each request is one test row's user context with N candidate apps drawn from the test rows.
 *
 * Scenarios (the load generator is autocannon for every server, bench/serve-load.ts):
 *   latency_200  200 candidates a request, one client at a time: p50 / p99 (the paper's table; goal p99 <= 2 ms)
 *   latency_100  100 candidates, one client at a time (today's figure: 1.49 ms p50, 62k rows/s)
 *   load_100     100 candidates, `--clients` concurrent keep-alive clients: rows/s
 *   load_200     200 candidates, `--clients` clients: rows/s
 *   single_64    1 row a request, `--single-clients` clients: rows/s (micro-batching's case)
 *   fixed_rate   once a run, after the repeats: 100 candidates at 80% of the best widedeep server's load_100
 *                requests/s for `--fixed-rate-seconds` (60): p50/p99, errors, RSS (bench/serve-fixed-rate.ts)
 * Before the first repeat every server settles: it serves the first scenario's load for `--settle-seconds` (5),
 * untimed, once (a server's latency settles over its first seconds of traffic: V8 tiering up the request path,
 * its first full collections; widedeep at 200 candidates, one client, quiet machine: the p99 of the first timed
 * 2,000 requests was 2.7-3.0 ms after 30 requests of warm-up, 1.7-2.6 after 1 s, against 1.0-1.6 ms later; the
 * floor's 1.6-2.0 and 0.8-1.4 against 0.3-0.6 ms). Every (server, scenario) run is then preceded by an untimed warm-up of the same
 * load (`--warmup-seconds`, 1 s). Servers take turns within each repeat, the order rotated from repeat to
 * repeat, so the machine's noise falls on all alike. `--pin` runs the client on CPU 0 and every server on CPU 1
 * (taskset), so they do not compete for a core (each server then has one).
 * The JSON holds per server and scenario the median and every repeat, the best of each group (widedeep,
 * fastapi, httpserver) and the same-run ratios against each peer group (bench/serve-summary.ts), the peers'
 * BLAS fields (bench/run.ts withholds ratios against a peer on a fallback kernel), and the load average.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { saveBundle } from '../src/artifact/bundle.js';
import { entryAt } from '../src/data/chunk.js';
import type { RowChunk } from '../src/data/types.js';
import { fitRun } from '../src/train/pipeline.js';
import { loadRunConfig, parseRunConfig } from '../src/train/run-config.js';
import { fixedRate } from './serve-fixed-rate.js';
import { load, type Scenario } from './serve-load.js';
import { peerHandicap } from './peer-kernel.js';
import { blasOfAll, startServer, treeCpuSeconds, treePeakRssMb, type RunningServer } from './serve-servers.js';
import { bestOf, medianFigures, parseServer, ratios, type Group, type RepeatFigures } from './serve-summary.js';

const ROOT = resolve(import.meta.dirname, '..');
const { values: parsed } = parseArgs({
  options: {
    seed: { type: 'string', default: '1' },
    repeats: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '3' },
    'latency-requests': { type: 'string', default: '500' },
    'warmup-seconds': { type: 'string', default: '1' },
    'settle-seconds': { type: 'string', default: '5' },
    clients: { type: 'string', default: '8' },
    'single-clients': { type: 'string', default: '64' },
    servers: { type: 'string' },
    scenarios: { type: 'string' },
    endpoint: { type: 'string', default: 'async' },
    'peer-threads': { type: 'string', default: '1' },
    pin: { type: 'boolean', default: false },
    'keep-bundle': { type: 'string' },
    'widedeep-root': { type: 'string' },
    'baseline-root': { type: 'string' },
    'fixed-rate-seconds': { type: 'string', default: '60' },
  },
});
const values = parsed;
const SEED = Number(values.seed);
const WIDEDEEP_ROOT = resolve(values['widedeep-root'] ?? ROOT);
const log = (s: string): void => void process.stderr.write(`[serve-case] ${s}\n`);

const LATENCY = Number(values['latency-requests']);
const WARMUP_S = Number(values['warmup-seconds']);
const SETTLE_S = Number(values['settle-seconds']);
const SECONDS = Number(values.seconds);
const ALL_SCENARIOS: Scenario[] = [
  { name: 'latency_200', candidates: 200, connections: 1, amount: LATENCY },
  { name: 'latency_100', candidates: 100, connections: 1, amount: LATENCY },
  { name: 'load_100', candidates: 100, connections: Number(values.clients), seconds: SECONDS },
  { name: 'load_200', candidates: 200, connections: Number(values.clients), seconds: SECONDS },
  { name: 'single_64', candidates: 1, connections: Number(values['single-clients']), seconds: SECONDS },
];
const SCENARIOS = values.scenarios ? ALL_SCENARIOS.filter((s) => values.scenarios!.split(',').includes(s.name)) : ALL_SCENARIOS;
/** `fixed_rate` (bench/serve-fixed-rate.ts): once a run, after the repeats, on the widedeep server best at load_100. */
const FIXED_RATE = !values.scenarios || values.scenarios.split(',').includes('fixed_rate');

const USER = ['user_id', 'country', 'gender', 'device', 'installed_apps', 'age', 'hour'];
const ITEM = ['app_id', 'app_category'];

function rowAt(chunk: RowChunk, r: number, names: readonly string[]): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const name of names) {
    const v = entryAt(chunk.columns.get(name)!, r);
    row[name] = typeof v === 'number' && Number.isNaN(v) ? null : v;
  }
  return row;
}

/** `count` request bodies of `k` candidates each: a user's context on every row, candidates from other rows. */
function requests(test: RowChunk, k: number, count: number, seed: number): string[] {
  let s = seed >>> 0;
  const next = (n: number): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % n;
  };
  return Array.from({ length: count }, () => {
    const user = rowAt(test, next(test.numRows), USER);
    const rows = Array.from({ length: k }, () => ({ ...user, ...rowAt(test, next(test.numRows), ITEM) }));
    return JSON.stringify({ rows });
  });
}

/** `widedeep serve --help` of the tree at `root` (what its CLI takes: --workers, --log-level since issue 15). */
function serveHelp(root: string): string {
  return execFileSync(process.execPath, ['--import', 'tsx', join(root, 'test/helpers/cli-entry.ts'), 'serve', '--help'], { cwd: root, encoding: 'utf8' });
}

/** Checks once that a server answers a body with one prediction per row (autocannon reads no bodies). */
async function checkAnswers(server: RunningServer, body: string, rows: number): Promise<void> {
  const res = await fetch(`${server.url}/predict`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
  const json = (await res.json()) as { predictions?: unknown[] };
  if (res.status !== 200 || json.predictions?.length !== rows) throw new Error(`${server.spec.name}: ${res.status} ${JSON.stringify(json).slice(0, 300)}`);
}

/**
 * A full collection of this process (the client) before a timed run, where node runs with --expose-gc (bench/run.ts
 * starts this script so), so that the client's own garbage (the bundle's training, the test split, the bodies) is
 * not collected inside a timed run. On its own it did not remove the first repeat's tail (the floor's p99 there
 * stayed 1.2 against 0.3-0.5 ms); the settling before the repeats did.
 */
function collectClientGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

async function measure(server: RunningServer, sc: Scenario, bodies: readonly string[]): Promise<RepeatFigures> {
  // The warm-up is timed, not counted (it was 30 requests): the scenario's connections and code paths are warm.
  await load({ url: server.url, bodies, rowsPerRequest: sc.candidates, connections: sc.connections, seconds: WARMUP_S });
  collectClientGarbage();
  const cpu0 = treeCpuSeconds(server.pid);
  const r = await load({ url: server.url, bodies, rowsPerRequest: sc.candidates, connections: sc.connections, ...(sc.amount !== undefined ? { amount: sc.amount } : { seconds: sc.seconds! }) });
  const serverCores = (treeCpuSeconds(server.pid) - cpu0) / r.wall_s;
  return { p50_ms: r.p50_ms, p99_ms: r.p99_ms, mean_ms: r.mean_ms, rows_per_s: r.rows_per_s, requests: r.requests, errors: r.errors, non2xx: r.non2xx, client_cores: r.client_cores, server_cores: serverCores };
}

/**
 * The fixed-rate load on the widedeep server with the best load_100 rows/s of this run (its median is the
 * maximum), or on the first widedeep server after a closed-loop run of its own when load_100 was not measured.
 */
async function runFixedRate(running: readonly RunningServer[], figures: Map<string, Map<string, RepeatFigures[]>>, test: RowChunk): Promise<Record<string, unknown> | null> {
  const byServer = figures.get('load_100');
  const name = byServer ? bestOf('widedeep', byServer) : null;
  const server = running.find((s) => (name !== null ? s.spec.name === name : s.spec.kind === 'widedeep'));
  if (server === undefined) return null;
  const max = name !== null ? medianFigures(byServer!.get(name)!).rows_per_s / 100 : undefined;
  const seconds = Number(values['fixed-rate-seconds']);
  log(`fixed_rate on ${server.spec.name}: 80% of ${max !== undefined ? `${Math.round(max)} requests/s (load_100)` : 'a closed-loop maximum'} for ${seconds} s`);
  const f = await fixedRate(server, requests(test, 100, 32, SEED * 7919 + 100), { candidates: 100, connections: Number(values.clients), seconds, fraction: 0.8, ...(max !== undefined ? { maxRequestsPerS: max } : {}) });
  const rss = f.rss_mb as Record<string, number>;
  log(`fixed_rate ${server.spec.name}: ${Math.round(f.achieved_requests_per_s as number)}/${f.rate_requests_per_s} requests/s, p50 ${(f.p50_ms as number).toFixed(2)} ms, p99 ${(f.p99_ms as number).toFixed(2)} ms, ${f.errors} errors ${f.non2xx} non-2xx, RSS ${rss.first} -> ${rss.last} MB (max ${rss.max}, ${rss.slope_mb_per_min} MB/min)`);
  return f;
}

async function trainBundle(dir: string): Promise<RowChunk> {
  const base = await loadRunConfig(join(ROOT, 'examples/synthetic.yaml'));
  const config = parseRunConfig({ ...(base.raw as Record<string, unknown>), seed: SEED, train: { ...(base.raw as { train: object }).train, epochs: 1 } });
  const outcome = await fitRun(config);
  await saveBundle(dir, { config: config.raw, model: config.model, spec: outcome.spec, seed: config.seed, state: outcome.model.exportState('weights') });
  await outcome.model.release();
  return outcome.data.test;
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const workers = serveHelp(WIDEDEEP_ROOT).includes('--workers');
  // (WIDEDEEP_BENCH_BASELINE_ROOT: the same through `npm run bench -- --suite serve`.)
  const baselineRoot = values['baseline-root'] ?? process.env.WIDEDEEP_BENCH_BASELINE_ROOT;
  const baseline = baselineRoot !== undefined && baselineRoot !== '' ? resolve(baselineRoot) : undefined;
  // FastAPI: both endpoint kinds with 1 and 2 workers; each scenario keeps the fastest (serve-summary.ts).
  const fastapi = 'fastapi-w1-async,fastapi-w1-sync,fastapi-w2-async,fastapi-w2-sync';
  // Without Debian's python3 + torch the peers cannot run: widedeep alone, said on stderr (no ratios then).
  const python = existsSync(process.env.WIDEDEEP_TORCH_PYTHON ?? '/usr/bin/python3');
  if (!python) log('peers skipped: /usr/bin/python3 not found (apt-get install python3-torch python3-fastapi python3-uvicorn)');
  const names = (values.servers ?? `widedeep,${workers ? 'widedeep-w2,' : ''}${baseline ? 'baseline,' : ''}floor,${python ? `httpserver,${fastapi}` : ''}`).replace(/,$/, '').split(',');
  const defaults = { peerThreads: Number(values['peer-threads']), endpoint: values.endpoint === 'sync' ? ('sync' as const) : ('async' as const) };
  const roots = { widedeep: WIDEDEEP_ROOT, baseline } as const;
  const specs = names.map((name) => {
    const parsed = parseServer(name, defaults);
    const root = parsed.kind === 'widedeep' || parsed.kind === 'baseline' ? roots[parsed.kind] : undefined;
    if (parsed.kind === 'baseline' && root === undefined) throw new Error('server baseline needs --baseline-root DIR (a tree with the CLI to compare with)');
    // The peers run without an access log: widedeep too (--log-level warn), unless named `-log`.
    const args = root !== undefined && !parsed.requestLog && serveHelp(root).includes('--log-level') ? [...parsed.args, '--log-level', 'warn'] : parsed.args;
    return { name, ...parsed, args, ...(root !== undefined ? { root } : {}), ...(parsed.requestLog ? { quiet: true } : {}), ...(values.pin ? { cpus: '1' } : {}) };
  });
  if (!workers && specs.some((s) => s.kind === 'widedeep' && s.workers > 1)) throw new Error('this tree\'s `widedeep serve` has no --workers: leave out widedeep-wN');
  if (values.pin) execFileSync('taskset', ['-a', '-p', '-c', '0', String(process.pid)], { stdio: 'ignore' });
  const load_before = loadavg();
  const dir = values['keep-bundle'] ?? join(mkdtempSync(join(tmpdir(), 'wd-serve-bench-')), 'model');
  const test = await trainBundle(dir);
  // Distinct bodies per scenario: every connection cycles through them (autocannon builds each connection's
  // buffers, so few: 100 for one client, 32 for `--clients`, 64 one-row bodies).
  const distinct = (sc: Scenario): number => (sc.connections === 1 ? 100 : sc.candidates === 1 ? 64 : 32);
  const bodies = new Map(SCENARIOS.map((sc) => [sc.name, requests(test, sc.candidates, distinct(sc), SEED * 7919 + sc.candidates)]));
  const running: RunningServer[] = [];
  const peakRss = new Map<string, number>();
  // Interrupted: the servers lead process groups of their own, so stop them before leaving.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping the servers`);
      void Promise.all(running.map((s) => s.stop())).finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
    });
  }
  const figures = new Map<string, Map<string, RepeatFigures[]>>(SCENARIOS.map((sc) => [sc.name, new Map(names.map((n) => [n, []]))]));
  let fixed: Record<string, unknown> | null = null;
  try {
    // Started one after another: their imports and model loads would otherwise compete (and time out).
    for (const spec of specs) {
      running.push(await startServer(ROOT, spec, dir));
      for (const sc of SCENARIOS) await checkAnswers(running.at(-1)!, bodies.get(sc.name)![0]!, sc.candidates);
      log(`${spec.name} ready at ${running.at(-1)!.url}`);
    }
    // Every server first serves the first scenario's load for a while, once: a process's first seconds of
    // traffic are slower than the rest (the floor's too), which would otherwise fall on the first repeat only.
    for (const server of running) await load({ url: server.url, bodies: bodies.get(SCENARIOS[0]!.name)!, rowsPerRequest: SCENARIOS[0]!.candidates, connections: SCENARIOS[0]!.connections, seconds: SETTLE_S });
    const repeats = Number(values.repeats);
    for (let r = 0; r < repeats; r++) {
      const order = running.map((_, i) => running[(i + r) % running.length]!);
      for (const sc of SCENARIOS) {
        for (const server of order) {
          const f = await measure(server, sc, bodies.get(sc.name)!);
          figures.get(sc.name)!.get(server.spec.name)!.push(f);
          log(`repeat ${r + 1}/${repeats} ${sc.name} ${server.spec.name}: ${Math.round(f.rows_per_s)} rows/s, p50 ${f.p50_ms.toFixed(2)} ms, p99 ${f.p99_ms.toFixed(2)} ms, client ${f.client_cores.toFixed(2)} / server ${f.server_cores.toFixed(2)} cores${f.errors + f.non2xx ? `, ${f.errors} errors ${f.non2xx} non-2xx` : ''}`);
        }
      }
    }
    if (FIXED_RATE) fixed = await runFixedRate(running, figures, test);
  } finally {
    for (const s of running) {
      peakRss.set(s.spec.name, treePeakRssMb(s.pid));
      await s.stop();
    }
    if (values['keep-bundle'] === undefined) rmSync(resolve(dir, '..'), { recursive: true, force: true });
  }
  process.stdout.write(`${JSON.stringify(summary(running, figures, { load_before, t0, peakRss, fixed }))}\n`);
}

function summary(running: readonly RunningServer[], figures: Map<string, Map<string, RepeatFigures[]>>, at: { load_before: number[]; t0: number; peakRss: ReadonlyMap<string, number>; fixed: Record<string, unknown> | null }): Record<string, unknown> {
  const groups: Group[] = ['widedeep', 'baseline', 'fastapi', 'httpserver', 'floor'];
  const best: Record<string, Record<string, unknown>> = {};
  const ratio: Record<string, Record<string, unknown>> = { fastapi: {}, httpserver: {}, baseline: {} };
  for (const sc of SCENARIOS) {
    const byServer = figures.get(sc.name)!;
    const chosen = Object.fromEntries(groups.map((g) => [g, bestOf(g, byServer)]));
    for (const g of groups) {
      const name = chosen[g];
      if (name) (best[g] ??= {})[sc.name] = { server: name, ...medianFigures(byServer.get(name)!) };
    }
    for (const peer of ['fastapi', 'httpserver', 'baseline'] as const) {
      if (chosen.widedeep && chosen[peer]) ratio[peer]![sc.name] = { widedeep: chosen.widedeep, peer: chosen[peer], ...ratios(byServer.get(chosen.widedeep)!, byServer.get(chosen[peer]!)!) };
    }
  }
  const servers = Object.fromEntries(
    running.map((s) => [s.spec.name, { args: s.spec.args, peak_rss_mb: at.peakRss.get(s.spec.name) ?? null, scenarios: Object.fromEntries(SCENARIOS.map((sc) => [sc.name, { median: medianFigures(figures.get(sc.name)!.get(s.spec.name)!), repeats: figures.get(sc.name)!.get(s.spec.name)! }])), ready: s.lines.map((l) => Object.fromEntries(Object.entries(l).filter(([k]) => !k.startsWith('blas_libs')))) }]),
  );
  // The peers' BLAS fields (bench/torch_blas.py; every FastAPI worker loads its own OpenBLAS): a process on a
  // fallback kernel if there is one (bench/run.ts then withholds the group's ratios), else the first; and all.
  const peers: Record<string, Record<string, unknown>> = Object.fromEntries(
    (['fastapi', 'httpserver'] as const).map((g) => {
      const all = running.filter((s) => s.spec.kind === g).flatMap(blasOfAll);
      const rss = running.filter((s) => s.spec.kind === g).map((s) => at.peakRss.get(s.spec.name) ?? 0);
      return [g, { ...(all.find((b) => peerHandicap(b) !== null) ?? all[0] ?? {}), blas_all: all, peak_rss_mb: rss.length ? Math.max(...rss) : null }];
    }),
  );
  const baselineServer = running.find((s) => s.spec.kind === 'baseline');
  if (baselineServer) peers.baseline = { peak_rss_mb: at.peakRss.get(baselineServer.spec.name) ?? null };
  const head = best.widedeep?.latency_100 as { rows_per_s: number; p50_ms: number } | undefined;
  return {
    case: 'serve',
    engine: 'widedeep serve',
    samples_per_s: head?.rows_per_s ?? null,
    p50_ms_at_100: head?.p50_ms ?? null,
    // widedeep's (the first widedeep server's, all its processes): the suite's peak RSS column.
    peak_rss_mb: at.peakRss.get(running.find((s) => s.spec.kind === 'widedeep')?.spec.name ?? '') ?? null,
    scenarios: SCENARIOS,
    best,
    ratios: ratio,
    fixed_rate: at.fixed,
    peers,
    servers,
    client: 'autocannon 8 (in this process, one per run)',
    pin: values.pin ? { client: '0', servers: '1' } : null,
    repeats: Number(values.repeats),
    load_before: at.load_before,
    load_after: loadavg(),
    wall_s: (performance.now() - at.t0) / 1000,
    node: process.version,
  };
}

await main();
