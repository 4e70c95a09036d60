/**
 * `npx tsx bench/score-case.ts [--rows 2000000] [--memory-mb 64] [--big-mb 700] [--queue] [--dir d]`
 *
 * `widedeep score` throughput and memory (issue 18, part 2). Fits the synthetic app-store model
 * (examples/synthetic.yaml, its installed_apps read from a '|'-separated CSV field, 20k rows, 1 epoch: the
 * model's size is the example's, its quality does not matter here), writes a CSV of `--rows` rows of the same
 * synthetic log, and scores it as child processes (`widedeep score ... --json`):
 *   - 1 and 2 local workers (`--workers`), and with --queue 2 `widedeep worker` processes on a fresh
 *     redis-server: rows/s (rows scored / the run's seconds) and the peak RSS of the whole process tree
 *     (score process + workers + their job processes, RSS summed, sampled every 100 ms);
 *   - the memory-bound run: a CSV of about `--big-mb` MB (10x `--memory-mb`) scored with --memory-mb and one
 *     worker, and the same on a quarter of it: peak RSS beside the file size (it should not grow with the file).
 * Prints one JSON line per run and a last line with all of them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, mkdtempSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parse } from 'yaml';
import { saveBundle } from '../src/artifact/bundle.js';
import { createSyntheticWorld, numericColumn, stringColumn, syntheticChunks } from '../src/data/index.js';
import { fitRun } from '../src/train/pipeline.js';
import { parseRunConfig } from '../src/train/run-config.js';
import { treeRssMb } from './serve-servers.js';

const ROOT = resolve(import.meta.dirname, '..');
const CLI = [process.execPath, '--import', 'tsx', join(ROOT, 'test/helpers/cli-entry.ts')];
const COLUMNS = ['user_id', 'app_id', 'app_category', 'country', 'gender', 'device', 'installed_apps', 'age', 'hour', 'label'];

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '2000000' },
    'memory-mb': { type: 'string', default: '64' },
    'big-mb': { type: 'string', default: '700' },
    queue: { type: 'boolean', default: false },
    dir: { type: 'string' },
  },
});
const dir = values.dir ?? mkdtempSync(join(tmpdir(), 'wd-score-bench-'));
const rows = Number(values.rows);
const memoryMb = Number(values['memory-mb']);
const bigBytes = Number(values['big-mb']) * 1e6;

/** Fits the example's model on a small sample; returns the bundle directory and the synthetic world's config. */
async function fitModel(): Promise<{ model: string; synthetic: Record<string, unknown> }> {
  const raw = parse(await readFile(join(ROOT, 'examples/synthetic.yaml'), 'utf8')) as Record<string, Record<string, unknown>>;
  const features = raw.features as { columns: Record<string, unknown>[] };
  const columns = features.columns.map((c) => (c.type === 'multi-valued' ? { ...c, separator: '|' } : c));
  const config = parseRunConfig({ ...raw, data: { ...raw.data, rows: 20_000 }, features: { ...features, columns }, train: { ...raw.train, epochs: 1 } });
  const outcome = await fitRun(config);
  const model = join(dir, 'model');
  try {
    await saveBundle(model, { config: config.raw, model: config.model, spec: outcome.spec, seed: config.seed, state: outcome.model.exportState('weights') });
  } finally {
    await outcome.model.release();
  }
  return { model, synthetic: (raw.data as { synthetic: Record<string, unknown> }).synthetic };
}

/** Writes synthetic rows as CSV until `limit` rows or `maxBytes` bytes; returns the rows written. A file there already is kept (a rerun with --dir). */
async function writeCsv(path: string, synthetic: Record<string, unknown>, limit: number, maxBytes = Infinity): Promise<number> {
  if (existsSync(path)) return (await lineCount(path)) - 1;
  const out = createWriteStream(path);
  const write = (s: string): Promise<void> => (out.write(s) ? Promise.resolve() : new Promise((ok) => out.once('drain', () => ok())));
  await write(`${COLUMNS.join(',')}\n`);
  let n = 0;
  let bytes = 0;
  const world = createSyntheticWorld(synthetic);
  for (const chunk of syntheticChunks(world, { rows: limit, chunkSize: 8192 })) {
    const cols = COLUMNS.map((c) => (c === 'age' || c === 'hour' || c === 'label' ? numericColumn(chunk, c) : c === 'installed_apps' ? (chunk.columns.get(c) as (readonly string[] | null)[]) : stringColumn(chunk, c)));
    const lines: string[] = [];
    for (let i = 0; i < chunk.numRows; i++) lines.push(cols.map((v) => { const x = v[i]; return Array.isArray(x) ? x.join('|') : String(x ?? ''); }).join(','));
    const text = `${lines.join('\n')}\n`;
    await write(text);
    n += chunk.numRows;
    bytes += text.length;
    if (bytes >= maxBytes) break;
  }
  await new Promise<void>((ok) => out.end(() => ok()));
  return n;
}

async function lineCount(path: string): Promise<number> {
  let n = 0;
  for await (const buf of createReadStream(path) as AsyncIterable<Buffer>) for (let i = buf.indexOf(10); i >= 0; i = buf.indexOf(10, i + 1)) n++;
  return n;
}

/** Runs a command to its end, sampling the RSS of its process tree (and of `also`'s) every 100 ms. */
function run(cmd: readonly string[], also: readonly ChildProcess[] = []): Promise<{ stdout: string; stderr: string; peakRssMb: number; code: number }> {
  return new Promise((ok, fail) => {
    const child = spawn(cmd[0] as string, cmd.slice(1), { cwd: ROOT });
    let stdout = '';
    let stderr = '';
    let peak = 0;
    const sample = (): void => {
      const mb = [child, ...also].reduce((a, c) => a + (c.pid !== undefined ? treeRssMb(c.pid) : 0), 0);
      peak = Math.max(peak, mb);
    };
    const timer = setInterval(sample, 100);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', fail);
    child.on('close', (code) => {
      clearInterval(timer);
      ok({ stdout, stderr, peakRssMb: Math.round(peak), code: code ?? -1 });
    });
  });
}

async function score(name: string, input: string, args: readonly string[], also: readonly ChildProcess[] = []): Promise<Record<string, unknown>> {
  const out = join(dir, `${name}.parquet`);
  const r = await run([...CLI, 'score', '--model', join(dir, 'model'), '--input', input, '--out', out, '--json', ...args], also);
  if (r.code !== 0) throw new Error(`${name}: exit ${r.code}: ${r.stderr}`);
  const done = JSON.parse(r.stdout.trim().split('\n').at(-1) as string) as { rowsScored: number; seconds: number; ranges: number; planSeconds: number; assembleSeconds: number };
  const line = {
    run: name,
    file_mb: Math.round(statSync(input).size / 1e6),
    rows: done.rowsScored,
    ranges: done.ranges,
    seconds: Number(done.seconds.toFixed(2)),
    rows_per_s: Math.round(done.rowsScored / done.seconds),
    plan_s: Number(done.planSeconds.toFixed(2)),
    assemble_s: Number(done.assembleSeconds.toFixed(2)),
    peak_rss_mb: r.peakRssMb,
    args: args.join(' '),
  };
  process.stdout.write(`${JSON.stringify(line)}\n`);
  return line;
}

/** Two `widedeep worker` processes on a fresh redis-server; returns them and a stop function. */
async function queueWorkers(): Promise<{ url: string; workers: ChildProcess[]; stop: () => Promise<void> }> {
  const { startRedis } = await import('../test/helpers/redis-server.js');
  const redis = await startRedis();
  const workers = [0, 1].map(() => spawn(CLI[0] as string, [...CLI.slice(1), 'worker', '--queue', redis.url, '--threads', '1'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] }));
  await Promise.all(workers.map((w) => new Promise<void>((ok) => w.stderr?.on('data', (d: Buffer) => (/ ready on /.test(d.toString()) ? ok() : undefined)))));
  const stop = async (): Promise<void> => {
    await Promise.all(workers.map((w) => new Promise((ok) => (w.once('close', ok), w.kill('SIGTERM')))));
    await redis.stop();
  };
  return { url: redis.url, workers, stop };
}

const { synthetic } = await fitModel();
const csv = join(dir, 'rows.csv');
await writeCsv(csv, synthetic, rows);
const results: Record<string, unknown>[] = [];
// Ranges of about 1/8 of the file, so that 2 workers have ranges to share at any size.
const ranges = ['--ranges', '8'];
results.push(await score('local-1', csv, ['--workers', '1', ...ranges]));
results.push(await score('local-2', csv, ['--workers', '2', ...ranges]));
if (values.queue) {
  const q = await queueWorkers();
  try {
    results.push(await score('queue-2', csv, ['--queue', q.url, '--threads', '1', ...ranges], q.workers));
  } finally {
    await q.stop();
  }
}
const big = join(dir, 'big.csv');
const bigRows = await writeCsv(big, synthetic, 2 ** 31 - 1, bigBytes);
const quarter = join(dir, 'quarter.csv');
await writeCsv(quarter, synthetic, Math.ceil(bigRows / 4));
// --memory-mb also sets the range size (a quarter of it).
const bounded = ['--workers', '1', '--memory-mb', String(memoryMb)];
results.push(await score('memory-quarter', quarter, bounded));
results.push(await score('memory-bound', big, bounded));
// The headline figures flat, as bench/run.ts reads them: `<run>_rows_per_s` and `<run>_peak_rss_mb` (run names with '_').
const flat = Object.fromEntries(results.flatMap((r) => [[`${String(r.run).replace('-', '_')}_rows_per_s`, r.rows_per_s], [`${String(r.run).replace('-', '_')}_peak_rss_mb`, r.peak_rss_mb]]));
process.stdout.write(`${JSON.stringify({ case: 'score', dir, memory_mb: memoryMb, ...flat, results })}\n`);
