/**
 * The feature-pipeline benchmark (issue 3): one case per process, one JSON line on stdout.
 *
 *   npx tsx bench/features-case.ts --case adult_transform [--duckdb] [--repeats R] [--data-dir DIR]
 *   npx tsx bench/features-case.ts --case criteo_transform [--duckdb] [--rows 500000] [--repeats R] [--parquet]
 *   npx tsx bench/features-case.ts --case criteo_stream_memory [--rows 10000000] [--encoding hash|vocab] [--read-only]
 *   npx tsx bench/features-case.ts --case generate --out FILE --rows N   (the Criteo-layout file alone)
 *
 * `samples_per_s` is rows/s of the streamed pipeline (reader.chunks({ worker: true }) of 8192 rows, each
 * transformed; `in_thread_samples_per_s` the same with the scan on the main thread), or with
 * `--duckdb` of the reference: DuckDB alone parsing the same file with the same read_csv options into a table.
 * Criteo-layout files are generated under os.tmpdir() in a child process (so its memory is not in this
 * process's peak RSS) and deleted at the end. `--parquet` converts the generated file to Parquet (DuckDB's
 * COPY, label and I1..I13 as BIGINT, C1..C26 as VARCHAR) and reads that instead, for both figures.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { adultReadOptions, criteoReadOptions, CRITEO_SCHEMA, openTable, resolveDataDir, sliceRows, type ColumnSchema, type ReadOptions, type RowChunk, type TableReader } from '../src/data/index.js';
import { binaryLabel, categorical, fit, fitResolved, numeric, transform, type FeatureConfig, type FittedSpec } from '../src/features/index.js';
import { loadRunConfig } from '../src/train/run-config.js';
import { generateCriteoFile } from './criteo-layout.js';

const ROOT = resolve(import.meta.dirname, '..');
const CHUNK = 8192;
type Json = Record<string, unknown>;
type Encoding = 'hash' | 'vocab';

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const peakRssMb = (): number => process.resourceUsage().maxRSS / 1024;
const rssMb = (): number => process.memoryUsage.rss() / 2 ** 20;
const log = (s: string): void => void process.stderr.write(`${s}\n`);

/** Rows/s of `passes` runs of `work` (which returns the rows it handled), per repeat. */
async function rates(repeats: number, passes: number, work: () => Promise<number> | number): Promise<number[]> {
  const out: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    let rows = 0;
    for (let p = 0; p < passes; p++) rows += await work();
    out.push(rows / ((performance.now() - t0) / 1000));
  }
  return out;
}

/**
 * One streamed pass: read every chunk, transform it when a spec is given. `worker`: the scan runs on a worker
 * thread (reader.chunks({ worker: true })), overlapping with the transforms on this one.
 */
async function streamPass(reader: TableReader, spec: FittedSpec | null, worker = false): Promise<number> {
  let rows = 0;
  for await (const chunk of reader.chunks({ chunkSize: CHUNK, worker })) rows += spec === null ? chunk.numRows : transform(spec, chunk).batchSize;
  return rows;
}

/** The first chunks of a scan, about `rows` rows (the rest of the scan is not read). */
async function firstChunks(reader: TableReader, rows: number): Promise<RowChunk[]> {
  const out: RowChunk[] = [];
  let n = 0;
  for await (const chunk of reader.chunks({ chunkSize: CHUNK })) {
    out.push(chunk);
    n += chunk.numRows;
    if (n >= rows) break;
  }
  return out;
}

/** The reader's dialect as a read_csv call, the columns typed as the reader decodes them (DOUBLE / VARCHAR). */
function readCsvSql(o: ReadOptions, schema: readonly ColumnSchema[]): string {
  const q = (s: string): string => `'${s.replaceAll("'", "''")}'`;
  const quote = o.quote ?? '"';
  const types = `{${schema.map((c) => `${q(c.name)}: '${c.kind === 'numeric' ? 'DOUBLE' : 'VARCHAR'}'`).join(', ')}}`;
  const nulls = `[${(o.nullValues ?? ['']).map(q).join(', ')}]`;
  return `read_csv(${q(o.path)}, header=${o.header ?? false}, skip=${o.skipLines ?? 0}, delim=${q(o.delimiter ?? ',')}, quote=${q(quote)}, escape=${q(o.escape ?? quote)}, nullstr=${nulls}, columns=${types}, auto_detect=false)`;
}

/** The reference: DuckDB (its own in-memory instance, default threads) parsing the whole file into a table. */
async function duckdbParse(o: ReadOptions, schema: readonly ColumnSchema[], repeats: number, passes: number): Promise<Json> {
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  const sql = `CREATE OR REPLACE TABLE t AS SELECT * FROM ${readCsvSql(o, schema)}`;
  let rows = 0;
  const parse = async (): Promise<number> => {
    await con.run(sql);
    rows = Number((await con.runAndReadAll('SELECT count(*) AS n FROM t')).getRowObjectsJS()[0]?.['n']);
    return rows;
  };
  await parse(); // warm-up (page cache, first allocation)
  const r = await rates(repeats, passes, parse);
  log(`duckdb parse: ${r.map((x) => Math.round(x).toLocaleString()).join(', ')} rows/s`);
  const threads = (await con.runAndReadAll("SELECT current_setting('threads') AS t")).getRowObjectsJS()[0]?.['t'];
  con.closeSync();
  return { engine: 'duckdb', samples_per_s: median(r), samples_per_s_all: r, rows, duckdb_threads: Number(threads) };
}

/**
 * The streamed passes of a throughput case, `loops` per timing: the reader alone (in thread, then on the scan
 * worker), then read + transform in thread and with the scan worker (the pipeline figure).
 */
async function streamedRates(name: string, reader: TableReader, spec: FittedSpec, repeats: number, loops: number): Promise<Json> {
  await streamPass(reader, null, true); // warm-up (and the scan worker started)
  const readOnly = await rates(repeats, loops, () => streamPass(reader, null));
  const readWorker = await rates(repeats, loops, () => streamPass(reader, null, true));
  const inThread = await rates(repeats, loops, () => streamPass(reader, spec));
  const pipeline = await rates(repeats, loops, () => streamPass(reader, spec, true));
  const show = (xs: number[]): string => xs.map((x) => Math.round(x).toLocaleString()).join(', ');
  log(`${name} read+transform: ${show(pipeline)} rows/s (scan worker)`);
  log(`${name} read+transform: ${show(inThread)} rows/s (in thread)`);
  return {
    engine: 'widedeep',
    samples_per_s: median(pipeline),
    samples_per_s_all: pipeline,
    in_thread_samples_per_s: median(inThread),
    in_thread_samples_per_s_all: inThread,
    read_rows_per_s: median(readOnly),
    read_worker_rows_per_s: median(readWorker),
  };
}

/** Adult with examples/adult.yaml: fit once on adult.data, then transform in memory and streamed. */
async function adultCase(dataDir: string | undefined, repeats: number, duckdb: boolean): Promise<Json> {
  const dir = resolveDataDir(dataDir);
  if (!existsSync(join(dir, 'adult/adult.data'))) return { skipped: `no adult/adult.data under ${dir} (set WIDEDEEP_DATA_DIR or --data-dir)` };
  const options = await adultReadOptions('train', { dataDir: dir });
  const reader = await openTable(options);
  if (duckdb) return { ...(await duckdbParse(options, reader.schema, repeats, 5)), file: options.path };
  const features = (await loadRunConfig(join(ROOT, 'examples/adult.yaml'))).features;
  const t0 = performance.now();
  const spec = await fitResolved(features, reader.chunks({ chunkSize: CHUNK }));
  const fitS = (performance.now() - t0) / 1000;
  const all = await reader.readAll();
  const slices: RowChunk[] = [];
  for (let s = 0; s < all.numRows; s += CHUNK) slices.push(sliceRows(all, s, Math.min(all.numRows, s + CHUNK)));
  const inMemory = (): number => slices.reduce((n, c) => n + transform(spec, c).batchSize, 0);
  for (let w = 0; w < 3; w++) inMemory(); // warm-up
  const transformOnly = await rates(repeats, 10, inMemory);
  await streamPass(reader, spec); // warm-up
  return {
    ...(await streamedRates('adult', reader, spec, repeats, 5)),
    transform_rows_per_s: median(transformOnly),
    rows: all.numRows,
    feature_columns: spec.columns.length,
    fit_s: fitS,
    file: options.path,
  };
}

/** The Criteo spec: 13 numerics (clip at 0, log1p, missing -> 0), 26 categoricals hashed or fitted, binary label. */
function criteoFeatures(encoding: Encoding): FeatureConfig {
  const ints = CRITEO_SCHEMA.filter((c) => c.name.startsWith('I')).map((c) => c.name);
  const cats = CRITEO_SCHEMA.filter((c) => c.name.startsWith('C')).map((c) => c.name);
  return {
    columns: [
      ...ints.map((name) => numeric({ name, clip: { min: 0, max: 1e12 }, log1p: true, missing: { strategy: 'zero' } })),
      ...cats.map((name) =>
        encoding === 'hash'
          ? categorical({ name, hashBuckets: 100_000, embeddingDim: 16 })
          : categorical({ name, vocabulary: { minCount: 4, maxSize: 100_000 }, embeddingDim: 16 }),
      ),
    ],
    label: binaryLabel({ column: 'label' }),
  };
}

/** Generates a Criteo-layout file of `rows` rows in a child process; the caller removes `dir`. */
function generated(rows: number, seed: number): { dir: string; path: string; gen_s: number; file_mb: number } {
  const dir = mkdtempSync(join(tmpdir(), 'widedeep-features-'));
  const path = join(dir, `criteo-${rows}.txt`);
  const t0 = performance.now();
  const args = ['--import', 'tsx', fileURLToPath(import.meta.url), '--case', 'generate', '--out', path, '--rows', String(rows), '--seed', String(seed)];
  const child = spawnSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  if (child.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`generating ${path} failed (status ${child.status}, ${child.signal ?? 'no signal'})`);
  }
  const bytes = (JSON.parse(child.stdout.trim()) as { bytes: number }).bytes;
  return { dir, path, gen_s: (performance.now() - t0) / 1000, file_mb: bytes / 2 ** 20 };
}

/** Removes `dir` at exit, also on SIGINT / SIGTERM (the file of the memory case is ~2.5 GB). */
function cleanupAtExit(dir: string): void {
  const clean = (): void => rmSync(dir, { recursive: true, force: true });
  process.on('exit', clean);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => process.exit(130));
}

/** The generated TSV as Parquet next to it (DuckDB's COPY), and read options for it. */
async function toParquet(options: ReadOptions, schema: readonly ColumnSchema[]): Promise<{ options: ReadOptions; file_mb: number; convert_s: number }> {
  const path = options.path.replace(/\.txt$/, '.parquet');
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  const t0 = performance.now();
  const cols = schema.map((c) => `"${c.name}"${c.kind === 'numeric' ? '::BIGINT' : ''} AS "${c.name}"`).join(', ');
  await con.run(`COPY (SELECT ${cols} FROM ${readCsvSql(options, schema)}) TO '${path}' (FORMAT parquet)`);
  con.closeSync();
  const columns = Object.fromEntries(schema.map((c) => [c.name, c.kind]));
  return { options: { path, format: 'parquet', columns, chunkSize: CHUNK }, file_mb: statSync(path).size / 2 ** 20, convert_s: (performance.now() - t0) / 1000 };
}

/** The reference on Parquet: DuckDB alone reading the whole file into a table. */
async function duckdbParquet(path: string, repeats: number): Promise<Json> {
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  const read = async (): Promise<number> => {
    await con.run(`CREATE OR REPLACE TABLE t AS SELECT * FROM read_parquet('${path}')`);
    return Number((await con.runAndReadAll('SELECT count(*) AS n FROM t')).getRowObjectsJS()[0]?.['n']);
  };
  await read();
  const r = await rates(repeats, 1, read);
  log(`duckdb parquet read: ${r.map((x) => Math.round(x).toLocaleString()).join(', ')} rows/s`);
  con.closeSync();
  return { engine: 'duckdb', samples_per_s: median(r), samples_per_s_all: r };
}

/** Criteo layout: streamed read + transform (hashed, then fitted vocabularies) of a generated file. */
async function criteoCase(rows: number, repeats: number, duckdb: boolean, seed: number, parquet: boolean): Promise<Json> {
  const file = generated(rows, seed);
  cleanupAtExit(file.dir);
  const tsv = await criteoReadOptions({ path: file.path, chunkSize: CHUNK });
  const pq = parquet ? await toParquet(tsv, (await openTable(tsv)).schema) : null;
  const options = pq?.options ?? tsv;
  const meta = { rows, format: parquet ? 'parquet' : 'tsv', file_mb: pq?.file_mb ?? file.file_mb, gen_s: file.gen_s, ...(pq ? { convert_s: pq.convert_s } : {}) };
  const reader = await openTable(options);
  if (duckdb) return { ...(pq ? await duckdbParquet(pq.options.path, repeats) : await duckdbParse(options, reader.schema, repeats, 1)), ...meta };
  const head = await firstChunks(reader, 100_000);
  const t0 = performance.now();
  const hashed = await fit(criteoFeatures('hash'), head);
  const vocab = await fit(criteoFeatures('vocab'), head);
  const fitS = (performance.now() - t0) / 1000;
  const inMemory = (): number => head.reduce((n, c) => n + transform(hashed, c).batchSize, 0);
  inMemory(); // warm-up
  const transformOnly = await rates(repeats, 3, inMemory);
  const streamed = await streamedRates('criteo', reader, hashed, repeats, 1);
  const pipelineVocab = await rates(repeats, 1, () => streamPass(reader, vocab, true));
  const sizes = vocab.columns.flatMap((c) => (c.type === 'categorical' && c.encoding.kind === 'vocabulary' ? [c.encoding.values.length] : []));
  return {
    ...streamed,
    vocab_samples_per_s: median(pipelineVocab),
    transform_rows_per_s: median(transformOnly),
    fit_rows: head.reduce((n, c) => n + c.numRows, 0),
    fit_s: fitS,
    vocab_sizes: sizes,
    ...meta,
  };
}

/** Streams the whole file once through read + transform (or read alone), sampling RSS every second. */
async function memoryCase(rows: number, encoding: Encoding, readOnly: boolean, seed: number): Promise<Json> {
  const file = generated(rows, seed);
  cleanupAtExit(file.dir);
  const reader = await openTable(await criteoReadOptions({ path: file.path, chunkSize: CHUNK }));
  const spec = await fit(criteoFeatures(encoding), await firstChunks(reader, 100_000));
  const before = { rss_mb: rssMb(), peak_rss_mb: peakRssMb() };
  const samples: [number, number, number, number][] = [];
  let seen = 0;
  let at1m: Json | null = null;
  const t0 = performance.now();
  const heapMb = (): number => Math.round(process.memoryUsage().heapUsed / 2 ** 20);
  const tick = setInterval(() => samples.push([Math.round((performance.now() - t0) / 1000), seen, Math.round(rssMb()), heapMb()]), 1000);
  try {
    for await (const chunk of reader.chunks({ chunkSize: CHUNK })) {
      seen += readOnly ? chunk.numRows : transform(spec, chunk).batchSize;
      if (at1m === null && seen >= 1_000_000) at1m = { rows: seen, rss_mb: rssMb(), peak_rss_mb: peakRssMb() };
    }
  } finally {
    clearInterval(tick);
  }
  const seconds = (performance.now() - t0) / 1000;
  if (seen !== rows) throw new Error(`streamed ${seen} rows, expected ${rows}`);
  const heap = process.memoryUsage();
  log(`criteo stream ${rows.toLocaleString()} rows: ${Math.round(rows / seconds).toLocaleString()} rows/s, peak RSS ${Math.round(peakRssMb())} MB`);
  return {
    engine: 'widedeep',
    encoding,
    transform: !readOnly,
    rows,
    chunk_rows: CHUNK,
    samples_per_s: rows / seconds,
    stream_s: seconds,
    peak_rss_mb: peakRssMb(),
    rss_end_mb: rssMb(),
    heap_used_end_mb: heap.heapUsed / 2 ** 20,
    heap_total_end_mb: heap.heapTotal / 2 ** 20,
    external_end_mb: heap.external / 2 ** 20,
    before_stream: before,
    at_1m_rows: at1m,
    rss_samples: { columns: ['s', 'rows', 'rss_mb', 'heap_used_mb'], values: samples },
    file_mb: file.file_mb,
    gen_s: file.gen_s,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      case: { type: 'string' },
      duckdb: { type: 'boolean', default: false },
      'read-only': { type: 'boolean', default: false },
      parquet: { type: 'boolean', default: false },
      rows: { type: 'string' },
      repeats: { type: 'string', default: '3' },
      seed: { type: 'string', default: '1' },
      encoding: { type: 'string', default: 'hash' },
      out: { type: 'string' },
      'data-dir': { type: 'string' },
    },
  });
  const c = values.case ?? 'adult_transform';
  const repeats = Number(values.repeats);
  const seed = Number(values.seed);
  const rows = (fallback: number): number => Number(values.rows ?? fallback);
  const t0 = performance.now();
  let out: Json;
  if (c === 'generate') {
    if (values.out === undefined) throw new Error('--case generate needs --out FILE');
    out = { bytes: generateCriteoFile({ path: values.out, rows: rows(1_000_000), seed }) };
  } else if (c === 'adult_transform') out = await adultCase(values['data-dir'], repeats, values.duckdb);
  else if (c === 'criteo_transform') out = await criteoCase(rows(500_000), repeats, values.duckdb, seed, values.parquet);
  else if (c === 'criteo_stream_memory') {
    if (values.encoding !== 'hash' && values.encoding !== 'vocab') throw new Error(`--encoding must be hash or vocab, got ${values.encoding}`);
    out = await memoryCase(rows(10_000_000), values.encoding, values['read-only'], seed);
  } else throw new Error(`unknown case ${c}; use adult_transform, criteo_transform, criteo_stream_memory or generate`);
  const common = { case: c, chunk_rows: CHUNK, peak_rss_mb: peakRssMb(), wall_s: (performance.now() - t0) / 1000, node: process.version };
  process.stdout.write(`${JSON.stringify({ ...common, ...out })}\n`);
}

await main();
