/**
 * `npx tsx bench/stream-case.ts [--broker kafka|nats] [--events 20000] [--rate 1000] [--seconds 20] [--seed 42]`
 *
 * Continuous training (`widedeep train-stream`, src/stream/) on the synthetic app store with a drifting truth:
 * the planted effect of a few (country, app category) pairs moves linearly from -A to +A over the log, so a
 * model must keep learning to stay right. Prints one JSON line:
 * - `events_per_s`: events trained per second by the continuous trainer in this process, reading a backlog of
 *   `--events` events from the broker, checkpointing and publishing every 5000 (first event read to last trained);
 * - `latency_p50_s` / `latency_p99_s`: seconds from an event's produce to the moment a `serve --watch` server
 *   (in this process, polled every 20 ms on /metadata) serves the first version that learned it, with events
 *   produced at `--rate` per second for `--seconds` and the trainer a `widedeep train-stream` child process
 *   publishing every 2 s;
 * - `auc_continuous` / `auc_batch`: test AUC on the latest period (fresh events at the log's end state of the
 *   drift) of the backlog's continuously trained model vs one batch fit (1 epoch, shuffled) on the same events.
 * Brokers: the librdkafka mock cluster (kafka, through python3-confluent-kafka) or `nats-server -js` (nats).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { Rng } from '../src/core/rng.js';
import { rowObject } from '../src/data/chunk.js';
import { createSyntheticWorld, syntheticData } from '../src/data/synthetic.js';
import { rowsToChunk } from '../src/features/rows.js';
import { serveBundle } from '../src/serve/server.js';
import { ContinuousTrainer } from '../src/stream/continuous-trainer.js';
import type { EventSource } from '../src/stream/event-source.js';
import { openSource } from '../src/stream/open-source.js';
import { parseSourceUrl } from '../src/stream/source-url.js';
import { streamModel } from '../src/stream/stream-model.js';
import { memorySource } from '../src/train/memory-source.js';
import { evalSetOf } from '../src/train/pipeline.js';
import { parseRunConfig } from '../src/train/run-config.js';
import { evaluateModel, train } from '../src/train/trainer.js';
import { startKafkaMock } from '../test/helpers/kafka-mock.js';
import { startNats } from '../test/helpers/nats-server.js';

const { values: a } = parseArgs({ options: { broker: { type: 'string', default: 'kafka' }, events: { type: 'string', default: '20000' }, rate: { type: 'string', default: '1000' }, seconds: { type: 'string', default: '20' }, seed: { type: 'string', default: '42' } } });
const ROOT = resolve(import.meta.dirname, '..');
const SEED = Number(a.seed);
const WORLD = { numUsers: 2000, numApps: 500, numCountries: 8, numCategories: 10, seed: SEED };
const DRIFT = 3;

const RAW = {
  seed: SEED,
  data: { dataset: 'synthetic', rows: 5000, synthetic: WORLD },
  features: {
    columns: [
      { type: 'categorical', name: 'user_id', hashBuckets: 4000, embeddingDim: 8, feeds: ['deep'] },
      { type: 'categorical', name: 'app_id', embeddingDim: 8 },
      { type: 'categorical', name: 'app_category' },
      { type: 'categorical', name: 'country' },
      { type: 'multi-valued', name: 'installed_apps', embeddingDim: 8, feeds: ['wide', 'deep'] },
      { type: 'crossed', name: 'country_x_category', components: ['country', 'app_category'], hashBuckets: 500 },
      { type: 'numeric', name: 'age', normalize: 'standardize' },
    ],
    label: { kind: 'binary', column: 'label' },
  },
  model: { kind: 'wide_deep', deep: { type: 'mlp', hidden: [32, 16] }, optimizers: { wide: { type: 'ftrl', alpha: 0.5 }, embeddings: { type: 'adagrad', lr: 0.1 }, deep: { type: 'adam', lr: 0.01 } } },
  train: { epochs: 1, batchSize: 128, threads: 1 },
};
const config = parseRunConfig(RAW);

/**
 * `n` events of the world whose labels follow the drifting truth at times t0..t1 (0 = the log's start, 1 its
 * end): the world's true logit plus DRIFT * (2t - 1) for the planted (country, category) pairs.
 */
function driftingEvents(n: number, t0: number, t1: number, salt: number): Record<string, unknown>[] {
  const world = createSyntheticWorld({ ...WORLD, seed: SEED + salt });
  const rows = syntheticData(world, { rows: n, includeTruth: true });
  const pairRng = new Rng(SEED).fork('drift-pairs');
  const pairs = new Set(Array.from({ length: 12 }, () => `cty${String(pairRng.int(WORLD.numCountries)).padStart(2, '0')}|cat${String(pairRng.int(WORLD.numCategories)).padStart(2, '0')}`));
  const rng = new Rng(SEED + salt).fork('drift-labels');
  return Array.from({ length: n }, (_, i) => {
    const o = rowObject(rows, i);
    const t = t0 + ((t1 - t0) * i) / Math.max(1, n - 1);
    const z = (o.true_logit as number) + (pairs.has(`${o.country}|${o.app_category}`) ? DRIFT * (2 * t - 1) : 0);
    const { true_logit: _z, timestamp: _ts, ...event } = o;
    return { ...event, id: i + 1, label: rng.uniform() < 1 / (1 + Math.exp(-z)) ? 1 : 0 };
  });
}

interface Broker {
  readonly url: (name: string) => string;
  produce(name: string, events: readonly unknown[]): Promise<void>;
  stop(): Promise<void>;
}

async function startBroker(kind: string): Promise<Broker> {
  if (kind === 'nats') {
    const n = await startNats();
    return { url: (s) => `nats://${n.address}/${s}`, produce: (s, e) => n.publish(s, s.toLowerCase(), e), stop: () => n.stop() };
  }
  const k = await startKafkaMock();
  return { url: (t) => `kafka://${k.bootstrap}/${t}`, produce: (t, e) => k.produce(t, e), stop: () => k.stop() };
}

/** A source that notes when it first returned an event (the throughput clock starts there, not at connect). */
function timedSource(s: EventSource, clock: { first: number | null }): EventSource {
  return {
    name: s.name, connect: (p) => s.connect(p), commit: (p) => s.commit(p), lag: () => s.lag(), close: () => s.close(),
    next: async (max, wait) => {
      const events = await s.next(max, wait);
      if (events.length > 0) clock.first ??= performance.now();
      return events;
    },
  };
}

/** Backlog phase: events/s of the continuous trainer, then test AUC of its model vs a batch fit on the same events. */
async function backlog(broker: Broker, n: number): Promise<Record<string, number>> {
  const events = driftingEvents(n, 0, 1, 0);
  await broker.produce('BACKLOG', events);
  const url = broker.url('BACKLOG');
  const clock = { first: null as number | null };
  const { model, spec } = await streamModel(config, { checkpoint: null, log: () => undefined });
  const source = timedSource(openSource(parseSourceUrl(url), { group: 'bench', log: () => undefined }), clock);
  const out = mkdtempSync(join(tmpdir(), 'wd-bench-stream-'));
  let end = 0;
  const trainer = new ContinuousTrainer({
    config, spec, model, source, outDir: out, sourceUrl: url, resume: null, log: () => undefined,
    schedule: { maxEvents: n, checkpointEveryEvents: 5000, publishEveryEvents: 5000 },
    onStatus: () => (end = performance.now()),
    progressMs: 0,
  });
  await trainer.run();
  const seconds = (end - (clock.first as number)) / 1000;
  // The latest period: fresh events at the drift's end state.
  const test = evalSetOf(spec, rowsToChunk(driftingEvents(5000, 1, 1, 1)), null);
  const continuous = await evaluateModel(model, test);
  await model.release();
  const fresh = await streamModel(config, { checkpoint: null, log: () => undefined });
  await train(fresh.model, memorySource(spec, rowsToChunk(events), config.train.batchSize, SEED), config.train);
  const batch = await evaluateModel(fresh.model, test);
  await fresh.model.release();
  return { events: n, events_per_s: n / seconds, auc_continuous: continuous.auc as number, auc_batch: batch.auc as number };
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

/** Live phase: produce at a fixed rate to a `train-stream` child; seconds from produce to served. */
async function live(broker: Broker, rate: number, seconds: number): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'wd-bench-live-'));
  const cfgPath = join(dir, 'run.yaml');
  writeFileSync(cfgPath, stringify(RAW));
  const n = rate * seconds;
  const events = driftingEvents(n, 0, 1, 2);
  // A first batch so that the trainer publishes a model the server can start from.
  await broker.produce('LIVE', events.slice(0, 256));
  const produced = new Float64Array(n);
  produced.fill(performance.timeOrigin + performance.now(), 0, 256);
  const out = join(dir, 'out');
  const args = ['--import', 'tsx', join(ROOT, 'test/helpers/cli-entry.ts'), 'train-stream', '--config', cfgPath, '--source', broker.url('LIVE'), '--out', out, '--publish-every-seconds', '2', '--idle-exit-seconds', '5', '--threads', '1'];
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise((ok) => child.once('exit', ok));
  const modelDir = join(out, 'model');
  while (readPointer(modelDir) === null) await sleep(50);
  const server = await serveBundle(modelDir, { port: 0, host: '127.0.0.1', watch: true, threads: 1 });
  // Versions as published (their positions), and when the server first served each.
  const versions = new Map<string, { covers: number; servedMs: number | null }>();
  let polling = true;
  const poller = (async () => {
    while (polling) {
      const v = readPointer(modelDir);
      if (v !== null && !versions.has(v)) versions.set(v, { covers: coverOf(modelDir, v), servedMs: null });
      const digest = ((await (await fetch(`${server.url}/metadata`)).json()) as { digest: string }).digest;
      for (const [name, rec] of versions) if (rec.servedMs === null && digestOf(modelDir, name) === digest) rec.servedMs = Date.now();
      await sleep(20);
    }
  })();
  const t0 = performance.now();
  for (let at = 256; at < n; ) {
    const due = Math.min(n, 256 + Math.floor(((performance.now() - t0) / 1000) * rate));
    if (due > at) {
      const now = performance.timeOrigin + performance.now();
      produced.fill(now, at, due);
      await broker.produce('LIVE', events.slice(at, due));
      at = due;
    }
    await sleep(10);
  }
  await exited;
  await sleep(1000);
  polling = false;
  await poller;
  await server.close();
  const served = [...versions.values()].filter((v) => v.servedMs !== null).sort((x, y) => x.covers - y.covers);
  const latencies: number[] = [];
  let k = 0;
  // The first 256 events wait for the trainer's start: only the events produced at the live rate count.
  for (let i = 256; i < n; i++) {
    while (k < served.length && (served[k] as { covers: number }).covers <= i) k++;
    if (k < served.length) latencies.push(((served[k] as { servedMs: number }).servedMs - (produced[i] as number)) / 1000);
  }
  latencies.sort((x, y) => x - y);
  return { live_events: n, live_rate: rate, versions_served: served.length, latency_p50_s: quantile(latencies, 0.5), latency_p99_s: quantile(latencies, 0.99) };
}

const sleep = (ms: number): Promise<void> => new Promise((ok) => setTimeout(ok, ms));

function readPointer(dir: string): string | null {
  try {
    return readFileSync(join(dir, 'current'), 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

function manifestOf(dir: string, version: string): Record<string, unknown> | null {
  try {
    return JSON.parse(readFileSync(join(dir, version, 'manifest.json'), 'utf8')) as Record<string, unknown>;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null; // swept by a later save
    throw err;
  }
}

/** How many events (from the start of the log) the version holds: its position (Kafka offset, JetStream sequence - 1). */
function coverOf(dir: string, version: string): number {
  const stream = (manifestOf(dir, version)?.metrics as { stream?: { positions: Record<string, number>; source: string } } | undefined)?.stream;
  if (stream === undefined) return 0;
  const p = Object.values(stream.positions)[0] ?? 0;
  return stream.source.startsWith('nats') ? p - 1 : p;
}

const digests = new Map<string, string>();
function digestOf(dir: string, version: string): string | null {
  const known = digests.get(version);
  if (known !== undefined) return known;
  const d = manifestOf(dir, version)?.digest;
  if (typeof d === 'string') digests.set(version, d);
  return typeof d === 'string' ? d : null;
}

const broker = await startBroker(a.broker as string);
try {
  const b = await backlog(broker, Number(a.events));
  const l = await live(broker, Number(a.rate), Number(a.seconds));
  process.stdout.write(`${JSON.stringify({ case: 'stream', broker: a.broker, seed: SEED, ...b, ...l })}\n`);
} finally {
  await broker.stop();
}
