/**
 * The serving benchmark: request latency of `widedeep serve` over HTTP on loopback, one JSON line on stdout.
 *
 *   npx tsx bench/serve-case.ts [--candidates 1,100,1000] [--requests 300] [--seed 1] [--concurrency 1]
 *       [--in-process | --peer]
 *
 * The paper's serving path (Cheng et al. 2016, section 4): a request carries one user's context and a list of
 * candidate apps, every candidate is scored, the answer goes back in ~10 ms. Here: `examples/synthetic.yaml`
 * (the app store the demo trains on: 9 input columns, 3 crosses, MLP 128-64) is trained for one epoch and
 * saved as a bundle; `widedeep serve` runs it in a child process (compiled dist/ when built, else the
 * sources through tsx). Each request is one test row's user context (user, country, gender, device,
 * installed apps, age, hour) with `--candidates` candidate apps (app id and category) drawn from the test rows.
 * Requests go one at a time (latency) after 30 warm-up requests, or with `--concurrency c` from c clients at
 * once (throughput under load; each client sends its next request when its answer is in); the bundle, the
 * rows and the requests are the same for the reference.
 *
 * Figures per candidate count: p50 / p99 latency (ms) from sending the request to the parsed answer, and
 * rows/s. `samples_per_s` (the headline) is rows/s at 100 candidates. `--in-process` measures the same
 * requests without HTTP or a child process (the library's serving transform and one predict per request,
 * JSON parse and stringify of the same bodies included): what HTTP adds. `--peer` sends them to the PyTorch
 * serving peer instead (bench/torch_serve.py on the same bundle: Python's http.server, the transform in Python,
 * an nn.Module of the same shape under inference_mode): the reference of `npm run bench -- --suite serve`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { loadBundle, saveBundle } from '../src/artifact/bundle.js';
import { entryAt } from '../src/data/chunk.js';
import type { RowChunk } from '../src/data/types.js';
import { rowsToChunk } from '../src/features/rows.js';
import { transform } from '../src/features/transform.js';
import { modelBatchOf } from '../src/model/from-spec.js';
import { fitRun } from '../src/train/pipeline.js';
import { loadRunConfig, parseRunConfig } from '../src/train/run-config.js';

const ROOT = resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    candidates: { type: 'string', default: '1,100,1000' },
    requests: { type: 'string', default: '300' },
    seed: { type: 'string', default: '1' },
    'in-process': { type: 'boolean', default: false },
    peer: { type: 'boolean', default: false },
    concurrency: { type: 'string', default: '1' },
    'keep-bundle': { type: 'string' },
  },
});
const CANDIDATES = values.candidates.split(',').map(Number);
const REQUESTS = Number(values.requests);
const WARMUP = 30;
const CONCURRENCY = Number(values.concurrency);
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

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** Latencies (ms) of `bodies` sent one at a time through `send`, after warm-up. */
async function timeRequests(bodies: readonly string[], send: (body: string) => Promise<number>): Promise<{ p50_ms: number; p99_ms: number; mean_ms: number; rows_per_s: number }> {
  for (let i = 0; i < WARMUP; i++) await send(bodies[i % bodies.length]!);
  const lat: number[] = [];
  let rows = 0;
  let next = 0;
  const t0 = performance.now();
  const client = async (): Promise<void> => {
    while (next < bodies.length) {
      const body = bodies[next++]!;
      const t = performance.now();
      const answered = await send(body); // (not `rows += await ...`: that reads rows before the await)
      rows += answered;
      lat.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, client));
  const wall = (performance.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  return { p50_ms: quantile(lat, 0.5), p99_ms: quantile(lat, 0.99), mean_ms: lat.reduce((a, b) => a + b, 0) / lat.length, rows_per_s: rows / wall };
}

async function startServer(bundle: string, peer: boolean): Promise<{ child: ChildProcess; url: string; listening: Record<string, unknown> }> {
  const built = existsSync(join(ROOT, 'dist/cli/main.js'));
  const cmd = built ? [join(ROOT, 'bin/widedeep.js')] : ['--import', 'tsx', join(ROOT, 'test/helpers/cli-entry.ts')];
  const child = peer
    ? spawn(process.env.WIDEDEEP_TORCH_PYTHON ?? '/usr/bin/python3', [join(ROOT, 'bench/torch_serve.py'), '--bundle', bundle], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] })
    : spawn(process.execPath, [...cmd, 'serve', '--model', bundle, '--port', '0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((ok, fail) => {
    createInterface({ input: child.stdout! }).once('line', ok);
    child.once('exit', (code) => fail(new Error(`widedeep serve exited with ${code} before listening`)));
  });
  const listening = JSON.parse(line) as Record<string, unknown> & { url: string };
  return { child, url: listening.url, listening };
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const base = await loadRunConfig(join(ROOT, 'examples/synthetic.yaml'));
  const config = parseRunConfig({ ...(base.raw as Record<string, unknown>), seed: Number(values.seed), train: { ...((base.raw as { train: object }).train), epochs: 1 } });
  const outcome = await fitRun(config);
  const dir = values['keep-bundle'] ?? join(mkdtempSync(join(tmpdir(), 'wd-serve-bench-')), 'model');
  await saveBundle(dir, { config: config.raw, model: config.model, spec: outcome.spec, seed: config.seed, state: outcome.model.exportState('weights') });
  await outcome.model.release();
  const test = outcome.data.test;
  const results: Record<string, unknown> = {};
  let child: ChildProcess | undefined;
  // The peer's BLAS fields (bench/torch_blas.py), so that bench/run.ts can tell a peer on a fallback kernel.
  let peerBlas: Record<string, unknown> = {};
  try {
    let send: (body: string) => Promise<number>;
    if (values['in-process']) {
      const { model, bundle } = await loadBundle(dir);
      send = async (body) => {
        const { rows } = JSON.parse(body) as { rows: Record<string, unknown>[] };
        const p = await model.predict(modelBatchOf(transform(bundle.spec, rowsToChunk(rows, { source: 'request' }), { mode: 'serve', onBadRow: 'error' })));
        return (JSON.parse(JSON.stringify({ predictions: Array.from(p.prediction) })) as { predictions: number[] }).predictions.length;
      };
    } else {
      const server = await startServer(dir, values.peer);
      child = server.child;
      if (values.peer) peerBlas = Object.fromEntries(Object.entries(server.listening).filter(([k]) => k.startsWith('blas')));
      send = async (body) => {
        const res = await fetch(`${server.url}/predict`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
        const json = (await res.json()) as { predictions?: number[]; error?: unknown };
        if (res.status !== 200 || json.predictions === undefined) throw new Error(`request failed: ${res.status} ${JSON.stringify(json)}`);
        return json.predictions.length;
      };
    }
    for (const k of CANDIDATES) {
      const bodies = requests(test, k, Math.max(60, Math.round(REQUESTS / Math.max(1, k / 100))), Number(values.seed) * 7919 + k);
      results[String(k)] = { requests: bodies.length, ...(await timeRequests(bodies, send)) };
    }
  } finally {
    child?.kill('SIGTERM');
    if (values['keep-bundle'] === undefined) rmSync(resolve(dir, '..'), { recursive: true, force: true });
  }
  const head = (results['100'] ?? results[String(CANDIDATES[0])]) as { rows_per_s: number; p50_ms: number };
  const out = {
    case: 'serve',
    engine: values.peer ? 'PyTorch http.server' : values['in-process'] ? 'widedeep in-process' : 'widedeep serve',
    samples_per_s: head.rows_per_s,
    concurrency: CONCURRENCY,
    p50_ms_at_100: head.p50_ms,
    candidates: results,
    wall_s: (performance.now() - t0) / 1000,
    node: process.version,
    ...peerBlas,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

await main();
