/**
 * The browser benchmark of widedeep/web (docs/WEB.md): what a page downloads and how fast it scores, one JSON
 * line on stdout.
 *
 *   npx tsx bench/web-case.ts [--iterations 200] [--rows 20000] [--model dir] [--isolated]
 *
 * The browser build is made fresh from the sources (scripts/build-web.mjs); its sizes are reported raw, gzip
 * (level 9) and brotli, for our JavaScript (widedeep-web.js: our code, zod, onnx-proto and onnxruntime-web's
 * loader) and onnxruntime-web's wasm files apart. The model: examples/synthetic.yaml (9 input columns, 3
 * crosses, MLP 128-64, 16-dim embeddings) trained for one epoch on `--rows` rows, or the bundle `--model`. A
 * static server on 127.0.0.1 serves both to headless Chromium (/usr/bin/chromium), where the page loads the
 * bundle (cold, first load: wasm compile, digest, graph build; then again, warm) and times `predict` on 1 and 100 rows (app-store
 * rows from a seeded generator) with performance.now(), after 20 warm-up calls: p50 / p99 in ms, and the mean
 * from the loop's total (Chromium coarsens performance.now() to 100 us in a page that is not cross-origin
 * isolated, so p50 there is a multiple of 0.1 ms; 5 us in an isolated one). `--isolated`
 * serves with COOP/COEP, so onnxruntime-web may use threads. For reference, the same rows through Node's
 * predictRows on onnxruntime-node (in-process, same machine).
 */
import { cpSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { parse } from 'yaml';
import { loadBundle } from '../src/artifact/bundle.js';
import { saveModel } from '../src/artifact/save-model.js';
import { Rng } from '../src/core/rng.js';
import { predictRows } from '../src/serve/predict-rows.js';
import { fitRun } from '../src/train/pipeline.js';
import { parseRunConfig } from '../src/train/run-config.js';
import { buildWeb, HAVE_CHROMIUM, CHROMIUM, inPage, launchChromium, openPage, serveStatic } from '../test/web/harness.js';

const ROOT = resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    iterations: { type: 'string', default: '200' },
    rows: { type: 'string', default: '20000' },
    model: { type: 'string' },
    isolated: { type: 'boolean', default: false },
  },
});
const ITERATIONS = Number(values.iterations);
const WARMUP = 20;

/** Rows of the synthetic app store (examples/synthetic.yaml's input columns). */
function appRows(n: number, rng: Rng): Record<string, unknown>[] {
  return Array.from({ length: n }, () => ({
    user_id: `user_${rng.int(2000)}`,
    app_id: `app_${rng.int(500)}`,
    app_category: `cat_${rng.int(20)}`,
    country: `c_${rng.int(10)}`,
    gender: ['f', 'm', 'u'][rng.int(3)],
    device: ['phone', 'tablet', 'tv'][rng.int(3)],
    installed_apps: Array.from({ length: rng.int(8) }, () => `app_${rng.int(500)}`),
    age: 16 + rng.int(60),
    hour: rng.int(24),
  }));
}

function sizes(dir: string): Record<string, { bytes: number; gzip: number; brotli: number }> {
  const out: Record<string, { bytes: number; gzip: number; brotli: number }> = {};
  for (const f of ['widedeep-web.js', 'ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm']) {
    const data = readFileSync(join(dir, f));
    out[f] = { bytes: statSync(join(dir, f)).size, gzip: gzipSync(data, { level: 9 }).byteLength, brotli: brotliCompressSync(data).byteLength };
  }
  return out;
}

function quantiles(ms: number[]): { p50: number; p99: number } {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number): number => Number((s[Math.min(s.length - 1, Math.floor(q * s.length))] as number).toFixed(3));
  return { p50: at(0.5), p99: at(0.99) };
}

async function main(): Promise<void> {
  if (!HAVE_CHROMIUM) throw new Error(`${CHROMIUM} not found (apt-get install -y chromium)`);
  const web = buildWeb();
  const bundles = mkdtempSync(join(tmpdir(), 'wd-web-bench-'));
  const dir = join(bundles, 'model');
  if (values.model !== undefined) cpSync(values.model, dir, { recursive: true });
  else {
    const raw = parse(readFileSync(join(ROOT, 'examples/synthetic.yaml'), 'utf8')) as { data: Record<string, unknown>; train: Record<string, unknown> };
    const config = { ...raw, data: { ...raw.data, rows: Number(values.rows) }, train: { ...raw.train, epochs: 1 } };
    const outcome = await fitRun(parseRunConfig(config));
    await saveModel(outcome, dir);
    await outcome.model.release();
  }
  const rng = new Rng(1);
  const batches = { 1: appRows(1, rng), 100: appRows(100, rng) };
  const server = await serveStatic(web, bundles, { isolated: values.isolated });
  const browser = await launchChromium();
  const problems: string[] = [];
  try {
    const page = await openPage(browser, server, problems);
    const url = `${server.url}/b/model`;
    const t = performance.now();
    const meta = await inPage<{ threads: number }>(page, 'load', url);
    const loadMs = performance.now() - t;
    if (meta.error) throw new Error(meta.error.message);
    const browserMs: Record<string, { p50: number; p99: number; mean: number }> = {};
    for (const [n, rows] of Object.entries(batches)) {
      await inPage(page, 'time', url, rows, WARMUP);
      const r = await inPage<{ ms: number[]; total: number }>(page, 'time', url, rows, ITERATIONS);
      if (r.error) throw new Error(r.error.message);
      browserMs[`rows_${n}`] = { ...quantiles(r.value.ms), mean: Number((r.value.total / ITERATIONS).toFixed(4)) };
    }
    // A second load in the same page: the wasm module is compiled, what is left is fetch, digest and graphs.
    const t2 = performance.now();
    await inPage(page, 'load', url);
    const reloadMs = performance.now() - t2;
    const { model, bundle } = await loadBundle(dir);
    const nodeMs: Record<string, { p50: number; p99: number }> = {};
    for (const [n, rows] of Object.entries(batches)) {
      const ms: number[] = [];
      for (let i = 0; i < WARMUP + ITERATIONS; i++) {
        const s = performance.now();
        await predictRows(model, bundle.spec, rows);
        if (i >= WARMUP) ms.push(performance.now() - s);
      }
      nodeMs[`rows_${n}`] = quantiles(ms);
    }
    await model.release();
    const version = (await browser.version()) as string;
    const line = { case: 'web', chromium: version, isolated: values.isolated, threads: meta.value.threads, iterations: ITERATIONS, sizes: sizes(web), load_ms: Number(loadMs.toFixed(1)), reload_ms: Number(reloadMs.toFixed(1)), browser_predict_ms: browserMs, node_predict_ms: nodeMs, console_problems: problems };
    process.stdout.write(`${JSON.stringify(line)}\n`);
  } finally {
    await browser.close();
    await server.close();
  }
}

await main();
