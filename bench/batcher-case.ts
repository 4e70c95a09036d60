/**
 * How the micro-batcher's limits (src/serve/batcher.ts, BatchOptions) play out over HTTP: the serving bench's
 * bundle (examples/synthetic.yaml, one epoch) served by `widedeep serve` (the CLI from the sources, a child
 * process) once per (maxRows, maxWaitMs) pair, each measured with autocannon (bench/serve-load.ts) on
 *   single_64    1 row a request, 64 concurrent keep-alive clients: rows/s, p50, p99 (micro-batching's case)
 *   latency_200  200 candidates a request, one client at a time: p50, p99 (the paper's table)
 *   load_200     200 candidates a request, 8 clients: rows/s, p50, p99
 * `--batch-max-rows 1` coalesces nothing (one request per model call): the baseline. Before the servers, the
 * model call alone is timed at batch sizes 1 to 4096 (`model_calls`). One JSON line on stdout.
 *
 *   npx tsx bench/batcher-case.ts [--pairs 1:0,64:0,512:0,2048:0,2048:1,2048:5] [--seconds 2] [--repeats 3] [--model-only]
 *
 * All servers run at once and are measured in turn, the order rotated from repeat to repeat; the figures are
 * the medians over repeats (each run's rows/s, p50, p99, and the mean rows and requests per model call from
 * the server's own batch histograms).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadBundle, saveBundle } from '../src/artifact/bundle.js';
import { entryAt } from '../src/data/chunk.js';
import type { RowChunk } from '../src/data/types.js';
import { prepareRows } from '../src/serve/request-batch.js';
import { fitRun } from '../src/train/pipeline.js';
import { loadRunConfig, parseRunConfig } from '../src/train/run-config.js';
import { load, type LoadResult, type Scenario } from './serve-load.js';
import { startServer } from './serve-servers.js';
import { median } from './serve-summary.js';

const ROOT = resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    pairs: { type: 'string', default: '1:0,64:0,512:0,2048:0,2048:1,2048:5' },
    'model-only': { type: 'boolean', default: false },
    seconds: { type: 'string', default: '2' },
    repeats: { type: 'string', default: '3' },
    'latency-requests': { type: 'string', default: '300' },
  },
});
const log = (s: string): void => void process.stderr.write(`[batcher-case] ${s}\n`);

const SECONDS = Number(values.seconds);
const SCENARIOS: Scenario[] = [
  { name: 'single_64', candidates: 1, connections: 64, seconds: SECONDS },
  { name: 'latency_200', candidates: 200, connections: 1, amount: Number(values['latency-requests']) },
  { name: 'load_200', candidates: 200, connections: 8, seconds: SECONDS },
];

/** `count` bodies of `k` rows: one test row's user context, candidate apps from other test rows. */
function bodies(test: RowChunk, k: number, count: number): string[] {
  const user = ['user_id', 'country', 'gender', 'device', 'installed_apps', 'age', 'hour'];
  const item = ['app_id', 'app_category'];
  const at = (r: number, names: string[]) => Object.fromEntries(names.map((n) => [n, entryAt(test.columns.get(n)!, r % test.numRows)]));
  return Array.from({ length: count }, (_, b) => JSON.stringify({ rows: Array.from({ length: k }, (_, j) => ({ ...at(b * 97, user), ...at(b * 131 + j * 7 + 1, item) })) }));
}

/**
 * The model call alone, in this process (no HTTP): median microseconds per `predict` at each batch size, and
 * per row. Where the cost per row stops falling, a larger maxRows buys no throughput, only latency.
 */
async function modelCalls(dir: string, test: RowChunk): Promise<Record<string, { us_per_call: number; us_per_row: number }>> {
  const { model, bundle } = await loadBundle(dir);
  const rows = (JSON.parse(bodies(test, 4096, 1)[0]!) as { rows: unknown[] }).rows;
  const out: Record<string, { us_per_call: number; us_per_row: number }> = {};
  try {
    for (const size of [1, 8, 32, 128, 256, 512, 1024, 2048, 4096]) {
      const batch = prepareRows(bundle.spec, rows.slice(0, size)).batch;
      const times: number[] = [];
      const calls = Math.max(5, Math.min(200, Math.round(20_000 / size)));
      for (let i = 0; i < calls + 3; i++) {
        const t = performance.now();
        await model.predict(batch);
        if (i >= 3) times.push((performance.now() - t) * 1000);
      }
      const us = median(times);
      out[String(size)] = { us_per_call: +us.toFixed(1), us_per_row: +(us / size).toFixed(2) };
      log(`model call at ${size} rows: ${us.toFixed(0)} us, ${(us / size).toFixed(2)} us/row`);
    }
  } finally {
    await model.release();
  }
  return out;
}

async function trainBundle(dir: string): Promise<RowChunk> {
  const base = await loadRunConfig(join(ROOT, 'examples/synthetic.yaml'));
  const config = parseRunConfig({ ...(base.raw as Record<string, unknown>), seed: 1, train: { ...(base.raw as { train: object }).train, epochs: 1 } });
  const outcome = await fitRun(config);
  await saveBundle(dir, { config: config.raw, model: config.model, spec: outcome.spec, seed: config.seed, state: outcome.model.exportState('weights') });
  await outcome.model.release();
  return outcome.data.test;
}

/** The server's batch histograms so far (/metrics): model calls, rows and requests in them. */
async function batchCounts(url: string): Promise<{ calls: number; rows: number; requests: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const get = (name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
  return { calls: get('widedeep_batch_rows_count'), rows: get('widedeep_batch_rows_sum'), requests: get('widedeep_batch_requests_sum') };
}

/** One scenario on one server: a warm-up, then the timed run, with the batch sizes the server saw meanwhile. */
async function measure(url: string, sc: Scenario, set: readonly string[]): Promise<Record<string, number>> {
  const run = (amount?: number): Promise<LoadResult> => load({ url, bodies: set, rowsPerRequest: sc.candidates, connections: sc.connections, ...(amount !== undefined ? { amount } : sc.amount !== undefined ? { amount: sc.amount } : { seconds: sc.seconds! }) });
  await run(Math.max(30, sc.connections * 10));
  const before = await batchCounts(url);
  const r = await run();
  const after = await batchCounts(url);
  const calls = after.calls - before.calls;
  return { rows_per_s: r.rows_per_s, p50_ms: r.p50_ms, p99_ms: r.p99_ms, errors: r.errors + r.non2xx, rows_per_call: (after.rows - before.rows) / calls, requests_per_call: (after.requests - before.requests) / calls };
}

async function main(): Promise<void> {
  const dir = join(mkdtempSync(join(tmpdir(), 'wd-batcher-bench-')), 'model');
  const test = await trainBundle(dir);
  const model_calls = await modelCalls(dir, test);
  if (values['model-only']) {
    rmSync(resolve(dir, '..'), { recursive: true, force: true });
    process.stdout.write(`${JSON.stringify({ case: 'batcher', model_calls, node: process.version })}\n`);
    return;
  }
  const sets = new Map(SCENARIOS.map((sc) => [sc.name, bodies(test, sc.candidates, sc.candidates === 1 ? 64 : 32)]));
  const pairs = values.pairs.split(',').map((p) => p.split(':').map(Number) as [number, number]);
  const names = pairs.map(([rows, wait]) => `rows${rows}_wait${wait}`);
  const figures = new Map(names.map((n) => [n, new Map(SCENARIOS.map((sc) => [sc.name, [] as Record<string, number>[]]))]));
  const servers: { name: string; url: string; stop: () => Promise<void> }[] = [];
  try {
    // All servers up at once; each repeat measures them in turn, the order rotated, so drifts in the
    // machine's load fall on all alike.
    for (const [i, [maxRows, waitMs]] of pairs.entries()) {
      const s = await startServer(ROOT, { name: names[i]!, kind: 'widedeep', args: ['--batch-max-rows', String(maxRows), '--batch-wait-ms', String(waitMs), '--log-level', 'silent'] }, dir);
      servers.push({ name: names[i]!, url: s.url, stop: s.stop });
    }
    const repeats = Number(values.repeats);
    for (let r = 0; r < repeats; r++) {
      const order = servers.map((_, i) => servers[(i + r) % servers.length]!);
      for (const sc of SCENARIOS) {
        for (const s of order) {
          const f = await measure(s.url, sc, sets.get(sc.name)!);
          figures.get(s.name)!.get(sc.name)!.push(f);
          log(`repeat ${r + 1}/${repeats} ${s.name} ${sc.name}: ${Math.round(f.rows_per_s!)} rows/s, p50 ${f.p50_ms!.toFixed(2)} ms, p99 ${f.p99_ms!.toFixed(2)} ms, ${f.rows_per_call!.toFixed(1)} rows / ${f.requests_per_call!.toFixed(2)} requests per model call`);
        }
      }
    }
  } finally {
    for (const s of servers) await s.stop();
    rmSync(resolve(dir, '..'), { recursive: true, force: true });
  }
  const medians = Object.fromEntries(
    names.map((n) => [n, Object.fromEntries(SCENARIOS.map((sc) => {
      const runs = figures.get(n)!.get(sc.name)!;
      const keys = Object.keys(runs[0] ?? {});
      return [sc.name, Object.fromEntries(keys.map((k) => [k, +median(runs.map((x) => x[k]!)).toFixed(3)]))];
    }))]),
  );
  process.stdout.write(`${JSON.stringify({ case: 'batcher', model_calls, scenarios: SCENARIOS, repeats: Number(values.repeats), medians, load_after: loadavg(), node: process.version })}\n`);
}

await main();
