/**
 * Stream-mode training benchmark: one case per process, one JSON line on stdout.
 *
 *   npx tsx bench/stream-fit-case.ts --rows 1000000 [--test-rows 100000] [--epochs 1] [--batch 512]
 *       [--shuffle-buffer 100000] [--chunk 8192] [--seed 1] [--threads n]
 *
 * Generates a Criteo-layout training file of `--rows` rows and a test file of `--test-rows` rows (other seed)
 * with `bench/features-case.ts --case generate` in child processes (so the generator is not in this process's
 * peak RSS), under os.tmpdir(), deleted at the end. Then `fitRun` trains a small Wide & Deep (13 log1p
 * numerics, 26 categoricals hashed into 10,000 buckets, 8-dim embeddings, MLP 64-32) with `data.stream` for
 * `--epochs` epochs: one fit pass, the epochs through the shuffle buffer, validation (the first 100,000
 * held-out rows, the default cap) after every epoch, and a streamed pass over the test file.
 *
 * The test file has a fixed size so that what grows with `--rows` is only the streamed training file: peak
 * RSS should then be flat in `--rows` (the AUC accumulator keeps one prediction and label per test row, so a
 * test set that grows would grow it too). Hashed categoricals fit nothing; fitted vocabularies would count
 * every distinct value during the fit pass, which grows with the data.
 *
 * `samples_per_s` is training rows/s of the epochs (read + shuffle + transform + train step, as the
 * trainer reports it); `wait_fraction` the share of the epochs' time the step loop waited for its next batch
 * (the trainer's `waitSeconds` over `seconds`); `threads` is train.threads (`--threads`, default: the cores);
 * `wall_s` is the whole run, fit pass and evaluation included.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CRITEO_SCHEMA } from '../src/data/index.js';
import { fitRun } from '../src/train/pipeline.js';
import { parseRunConfig } from '../src/train/run-config.js';

const ROOT = resolve(import.meta.dirname, '..');
const peakRssMb = (): number => process.resourceUsage().maxRSS / 1024;
const rssMb = (): number => process.memoryUsage.rss() / 2 ** 20;
const log = (s: string): void => void process.stderr.write(`${s}\n`);

/** Writes a Criteo-layout file in a child process; returns its size in MB and the seconds it took. */
function generate(path: string, rows: number, seed: number): { mb: number; s: number } {
  const t0 = performance.now();
  const args = ['--import', 'tsx', resolve(ROOT, 'bench/features-case.ts'), '--case', 'generate', '--out', path, '--rows', String(rows), '--seed', String(seed)];
  const child = spawnSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  if (child.status !== 0) throw new Error(`generating ${path} failed (status ${child.status}, ${child.signal ?? 'no signal'})`);
  return { mb: statSync(path).size / 2 ** 20, s: (performance.now() - t0) / 1000 };
}

function config(o: { train: string; test: string; epochs: number; batch: number; shuffleBuffer: number; chunk: number; seed: number; threads?: number }): Record<string, unknown> {
  const file = (path: string): Record<string, unknown> => ({
    path,
    format: 'csv',
    delimiter: '\t',
    header: false,
    columnNames: CRITEO_SCHEMA.map((c) => c.name),
    columns: Object.fromEntries(CRITEO_SCHEMA.map((c) => [c.name, c.kind])),
  });
  const ints = CRITEO_SCHEMA.filter((c) => c.name.startsWith('I')).map((c) => c.name);
  const cats = CRITEO_SCHEMA.filter((c) => c.name.startsWith('C')).map((c) => c.name);
  return {
    seed: o.seed,
    data: { dataset: 'files', train: file(o.train), test: file(o.test), stream: { shuffleBuffer: o.shuffleBuffer, chunkSize: o.chunk } },
    features: {
      columns: [
        ...ints.map((name) => ({ type: 'numeric', name, clip: { min: 0, max: 1e9 }, log1p: true, normalize: 'standardize', missing: { strategy: 'zero' } })),
        ...cats.map((name) => ({ type: 'categorical', name, hashBuckets: 10_000, embeddingDim: 8 })),
      ],
      label: { kind: 'binary', column: 'label' },
    },
    model: {
      kind: 'wide_deep',
      deep: { type: 'mlp', hidden: [64, 32] },
      optimizers: { wide: { type: 'ftrl', alpha: 0.1, l1: 0.01, l2: 1 }, embeddings: { type: 'adagrad', lr: 0.05 }, deep: { type: 'adagrad', lr: 0.05 } },
    },
    train: { epochs: o.epochs, batchSize: o.batch, validationFraction: 0.1, checkpoint: false, ...(o.threads !== undefined ? { threads: o.threads } : {}) },
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rows: { type: 'string', default: '1000000' },
      'test-rows': { type: 'string', default: '100000' },
      epochs: { type: 'string', default: '1' },
      batch: { type: 'string', default: '512' },
      'shuffle-buffer': { type: 'string', default: '100000' },
      chunk: { type: 'string', default: '8192' },
      seed: { type: 'string', default: '1' },
      threads: { type: 'string' },
    },
  });
  const rows = Number(values.rows);
  const testRows = Number(values['test-rows']);
  const o = { epochs: Number(values.epochs), batch: Number(values.batch), shuffleBuffer: Number(values['shuffle-buffer']), chunk: Number(values.chunk), seed: Number(values.seed), ...(values.threads !== undefined ? { threads: Number(values.threads) } : {}) };
  const dir = mkdtempSync(join(tmpdir(), 'widedeep-stream-fit-'));
  const clean = (): void => rmSync(dir, { recursive: true, force: true });
  process.on('exit', clean);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => process.exit(130));
  const train = join(dir, `criteo-${rows}.txt`);
  const test = join(dir, `criteo-test-${testRows}.txt`);
  const gen = generate(train, rows, o.seed);
  const genTest = generate(test, testRows, o.seed + 1000);
  log(`generated ${rows.toLocaleString()} rows (${gen.mb.toFixed(0)} MB) in ${gen.s.toFixed(1)}s`);

  const t0 = performance.now();
  const samples: [number, number][] = [];
  const sample = (): void => void samples.push([Math.round((performance.now() - t0) / 1000), Math.round(rssMb())]);
  const tick = setInterval(sample, 1000);
  let readyS = 0;
  let readyPeak = 0;
  let lastLog = 0;
  let out;
  try {
    out = await fitRun(parseRunConfig({ ...config({ train, test, ...o }) }, 'stream-fit-case'), {
      log,
      onReady: () => {
        readyS = (performance.now() - t0) / 1000;
        readyPeak = peakRssMb();
      },
      events: {
        onProgress: (p) => {
          if (performance.now() - lastLog < 15_000) return;
          lastLog = performance.now();
          log(`epoch ${p.epoch + 1}: ${p.rowsDone.toLocaleString()}/${p.rowsTotal?.toLocaleString()} rows, ${Math.round(p.rowsPerSec).toLocaleString()} rows/s, ETA ${p.etaSec?.toFixed(0)}s, RSS ${Math.round(rssMb())} MB`);
        },
      },
    });
  } finally {
    clearInterval(tick);
  }
  sample();
  const wall = (performance.now() - t0) / 1000;
  const h = out.result.history;
  const trainS = h.reduce((s, e) => s + e.seconds, 0);
  const waitS = h.reduce((s, e) => s + e.waitSeconds, 0);
  const trained = h.reduce((s, e) => s + e.rowsPerSec * e.seconds, 0);
  const fp = out.data.fingerprint;
  await out.model.release();
  log(`stream fit ${rows.toLocaleString()} rows: ${Math.round(trained / trainS).toLocaleString()} train rows/s, waiting for data ${((100 * waitS) / trainS).toFixed(1)}% of the time, peak RSS ${Math.round(peakRssMb())} MB, ${wall.toFixed(1)}s`);
  process.stdout.write(
    `${JSON.stringify({
      case: 'stream_fit',
      engine: 'widedeep',
      rows,
      test_rows: testRows,
      ...o,
      samples_per_s: trained / trainS,
      wait_fraction: waitS / trainS,
      threads: o.threads ?? null,
      loadavg: loadavg(),
      train_rows: trained / o.epochs,
      peak_rss_mb: peakRssMb(),
      wall_s: wall,
      fit_pass_s: readyS,
      peak_rss_after_fit_pass_mb: readyPeak,
      train_s: trainS,
      test_auc: out.test.auc,
      test_log_loss: out.test.logLoss,
      validation_auc: out.validation?.auc ?? null,
      data: fp,
      rss_samples: { columns: ['s', 'rss_mb'], values: samples },
      file_mb: gen.mb,
      test_file_mb: genTest.mb,
      gen_s: gen.s + genTest.s,
      node: process.version,
    })}\n`,
  );
}

await main();
