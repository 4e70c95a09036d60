import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WideDeepError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/rng.js';
import { openTable, shuffleBuffer, type RowChunk } from '../../src/data/index.js';
import { idleScanWorkers } from '../../src/data/scan-pool.js';
import { stringColumns } from '../../src/features/checks.js';
import { fitResolved } from '../../src/features/fit.js';
import type { FittedSpec } from '../../src/features/fitted-spec.js';
import { transform } from '../../src/features/transform.js';
import { originOf } from '../../src/model/batch-origin.js';
import { modelBatchOf, modelSizesOf } from '../../src/model/from-spec.js';
import type { ModelBatch } from '../../src/model/sizes.js';
import { WideDeepModel } from '../../src/model/wide-deep.js';
import { fixedWidthSpec, shuffleExamples } from '../../src/train/example-shuffle.js';
import { parseRunConfig, type RunConfig } from '../../src/train/run-config.js';
import { StreamData, exactBatches, rowPart, rowsOfPart, transformed } from '../../src/train/stream-source.js';
import { train as trainModel, type TrainSource } from '../../src/train/trainer.js';
import { fileConfig, tempDir, writeCsv } from './stream-fixtures.js';

/**
 * Stream mode runs its passes on a stream worker (scan, split, shuffle, transform, exact batches), and this
 * thread only trains. The reference here is the pipeline as it ran in this thread before, built from its
 * parts (the reader's own scan, rowsOfPart, transform, shuffleExamples or shuffleBuffer, exactBatches): the
 * worker must give the same batches bit for bit, so a seeded fit trains to the same weights bit for bit.
 */

let dir: string;
let plain: string;
let tagged: string;

/** `plain` with a multi-valued `tags` column (bags of 0-3 values): a spec that is not fixed-width. */
function withTags(from: string, to: string): void {
  const rng = new Rng(9);
  const lines = readFileSync(from, 'utf8').trimEnd().split('\n');
  const tags = (): string => Array.from({ length: rng.int(4) }, () => `t${rng.int(12)}`).join('|');
  writeFileSync(to, `${lines.map((l, i) => (i === 0 ? `${l},tags` : `${l},${tags()}`)).join('\n')}\n`);
}

beforeAll(() => {
  dir = tempDir();
  plain = join(dir, 'plain.csv');
  tagged = join(dir, 'tagged.csv');
  writeCsv(plain, 2500, { seed: 7 });
  withTags(plain, tagged);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const STREAM = { shuffleBuffer: 700, chunkSize: 256 };

function configOf(path: string, o: { tags?: boolean; onBadRow?: 'error' | 'skip' } = {}): RunConfig {
  const raw = fileConfig({ train: path, stream: STREAM, epochs: 2, batchSize: 100 });
  const features = raw.features as { columns: unknown[] };
  const tags = o.tags === true ? [{ type: 'multi-valued', name: 'tags', separator: '|', embeddingDim: 4, pooling: 'mean' }] : [];
  return parseRunConfig({ ...raw, features: { ...features, columns: [...features.columns, ...tags], ...(o.onBadRow ? { onBadRow: o.onBadRow } : {}) } });
}

async function fitted(config: RunConfig): Promise<{ data: StreamData; spec: FittedSpec }> {
  const data = await StreamData.open(config.data, config.seed, config.train.validationFraction, config.features);
  return { data, spec: await fitResolved(config.features, data.fitPass()) };
}

/** The scan of the training file in this thread, read as stream mode reads it. */
async function scanHere(config: RunConfig, path: string): Promise<AsyncGenerator<RowChunk, void, undefined>> {
  const reader = await openTable({ path, chunkSize: STREAM.chunkSize, onBadRow: config.data.onBadRow, stringColumns: stringColumns(config.features) });
  return reader.chunks();
}

/** Epoch `epoch` as the main thread made it before the worker did. */
async function* inThreadEpoch(config: RunConfig, data: StreamData, spec: FittedSpec, epoch: number, path: string): AsyncGenerator<ModelBatch, void, undefined> {
  const shuffle = { bufferSize: STREAM.shuffleBuffer, seed: new Rng(config.seed).fork(`stream-epoch-${epoch}`).nextU32(), chunkSize: STREAM.chunkSize };
  const scan = await scanHere(config, path);
  async function* rows(): AsyncGenerator<RowChunk, void, undefined> {
    for await (const c of scan) {
      const t = rowsOfPart(c, 'train', data.holdOut);
      if (t !== null) yield t;
    }
  }
  const examples = fixedWidthSpec(spec) ? shuffleExamples(transformed(spec, rows()), shuffle) : transformed(spec, shuffleBuffer(rows(), shuffle));
  yield* exactBatches(examples, config.train.batchSize);
}

/** A batch as bytes (every typed array as base64), with whether its deep part is its wide part. */
function bytesOf(b: ModelBatch): unknown {
  const bytes = (a: ArrayBufferView | undefined): string | null => (a === undefined ? null : Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64'));
  const sparse = (s: ModelBatch['wide']): unknown => (s === undefined ? null : { keys: s.keys, n: s.batchSize, ids: bytes(s.ids), offsets: bytes(s.offsets), weights: bytes(s.weights) });
  return { size: b.size, wide: sparse(b.wide), deep: b.deep === b.wide ? 'wide' : sparse(b.deep), dense: bytes(b.dense), labels: bytes(b.labels), weights: bytes(b.weights) };
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** A model trained on `source` for the config's epochs; its full state as bytes. */
async function trainedState(config: RunConfig, spec: FittedSpec, source: TrainSource): Promise<Record<string, string>> {
  const model = await WideDeepModel.create(modelSizesOf(spec), config.model, { seed: config.seed });
  try {
    await trainModel(model, source, config.train);
    const state = model.exportState('full');
    return Object.fromEntries([...state.tensors].map(([k, v]) => [k, Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64')]));
  } finally {
    await model.release();
  }
}

describe('stream passes on the stream worker', () => {
  it.each([
    ['fixed-width (encoded examples shuffled)', false],
    ['multi-valued (raw rows shuffled)', true],
  ])('%s: the batches of every epoch are those of the in-thread pipeline, bit for bit, and so are the trained weights', async (_name, tags) => {
    const path = tags ? tagged : plain;
    const config = configOf(path, { tags });
    const { data, spec } = await fitted(config);
    expect(fixedWidthSpec(spec)).toBe(!tags);
    // Epoch 0 is the pass started early (when the source is made), as fitRun starts it; epoch 1 a pass started when asked.
    const source = data.source(spec, config.train.batchSize, { early: 0 });
    for (const epoch of [0, 1]) {
      const worker = (await collect(source.batches(epoch))).map(bytesOf);
      const here = (await collect(inThreadEpoch(config, data, spec, epoch, path))).map(bytesOf);
      expect(worker.length).toBe(Math.ceil(source.rows! / config.train.batchSize));
      expect(worker).toEqual(here);
    }
    const inThread: TrainSource = { rows: source.rows, batches: (epoch) => inThreadEpoch(config, data, spec, epoch, path) };
    await source.close();
    const early = data.source(spec, config.train.batchSize, { early: 0 });
    expect(await trainedState(config, spec, early)).toEqual(await trainedState(config, spec, inThread));
    await early.close();
  });

  it('the test pass gives the in-thread batches with their source rows (errors name them), and its counts', async () => {
    const config = configOf(plain);
    const { data, spec } = await fitted(config);
    const worker = await collect(data.testBatches(spec));
    const here: ModelBatch[] = [];
    let read = 0;
    for await (const c of await scanHere(config, plain)) {
      const rows = rowsOfPart(c, 'test', data.holdOut);
      if (rows === null) continue;
      read += rows.numRows;
      here.push(modelBatchOf(transform(spec, rows)));
    }
    expect(worker.map(bytesOf)).toEqual(here.map(bytesOf));
    const origins = (bs: ModelBatch[]): unknown[] => bs.flatMap((b) => Array.from({ length: b.size }, (_, i) => originOf(b, i)));
    expect(origins(worker)).toEqual(origins(here));
    expect(origins(worker).every((o) => (o as { row?: number }).row !== undefined)).toBe(true);
    expect(data.testRowsRead).toBe(read);
    expect(data.testSummary.rowsRead).toBe(2500);
  });

  it("a test row the transform refuses: the worker's error is the in-thread one (file, row, field); under skip it is counted", async () => {
    const config = configOf(plain);
    const { data, spec } = await fitted(config);
    // Blank x (no missing strategy) in the first held-out test row: the fit never saw it, the test pass does.
    const lines = readFileSync(plain, 'utf8').split('\n');
    const testLine = lines.findIndex((_l, i) => i > 0 && rowPart(i + 1, data.holdOut) === 'test');
    lines[testLine] = (lines[testLine] as string).replace(/,-?[\d.]+,([01])$/, ',,$1');
    const gap = join(dir, 'gap.csv');
    writeFileSync(gap, lines.join('\n'));
    const strict = await StreamData.open(configOf(gap).data, config.seed, config.train.validationFraction, config.features);
    const workerError = await collect(strict.testBatches(spec)).then(
      () => null,
      (e: unknown) => e,
    );
    const hereError = await (async () => {
      for await (const c of await scanHere(config, gap)) {
        const rows = rowsOfPart(c, 'test', data.holdOut);
        if (rows !== null) transform(spec, rows);
      }
    })().then(
      () => null,
      (e: unknown) => e,
    );
    expect(workerError).toBeInstanceOf(WideDeepError);
    const fields = (e: WideDeepError): unknown => ({ code: e.code, message: e.message, details: e.details });
    expect(fields(workerError as WideDeepError)).toEqual(fields(hereError as WideDeepError));
    expect((workerError as WideDeepError).details).toMatchObject({ file: gap, row: testLine + 1, field: 'x' });

    const lenient = { ...spec, onBadRow: 'skip' as const };
    const skipping = await StreamData.open(configOf(gap).data, config.seed, config.train.validationFraction, config.features);
    const scored = (await collect(skipping.testBatches(lenient))).reduce((n, b) => n + b.size, 0);
    expect(skipping.testRowsRead).toBe(scored + 1);
  });

  it('leaving an epoch early stops its pass and frees the worker for the next one', async () => {
    const config = configOf(plain);
    const { data, spec } = await fitted(config);
    const source = data.source(spec, 10);
    for await (const b of source.batches(0)) {
      expect(b.size).toBe(10);
      break;
    }
    expect(idleScanWorkers()).toBeGreaterThan(0);
    const sizes = (await collect(source.batches(0))).map((b) => b.size);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(source.rows);
  });
});
