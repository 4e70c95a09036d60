import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WideDeepError } from '../../src/core/errors.js';
import { fitResolved } from '../../src/features/fit.js';
import type { FittedSpec } from '../../src/features/fitted-spec.js';
import type { ModelBatch } from '../../src/model/sizes.js';
import { evalSetOf, fitRun } from '../../src/train/pipeline.js';
import { loadRunData } from '../../src/train/run-data.js';
import { parseRunConfig, type RunConfig } from '../../src/train/run-config.js';
import { StreamData, exactBatches, rowPart, type HoldOut } from '../../src/train/stream-source.js';
import { evaluateBatches, evaluateModel } from '../../src/train/trainer.js';
import { checkpointOfKilledRun } from '../helpers/kill-resume.js';
import { fileConfig, tempDir, writeCsv } from './stream-fixtures.js';

const ROWS = 3000;
let dir: string;
let train: string;
let test: string;

beforeAll(() => {
  dir = tempDir();
  train = join(dir, 'train.csv');
  test = join(dir, 'test.csv');
  writeCsv(train, ROWS, { seed: 1 });
  writeCsv(test, 1000, { seed: 2 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The fingerprint of a stream-mode run. */
interface Fingerprint {
  readonly rows: { readonly train: number; readonly validation: number; readonly validationScored: number; readonly test: number };
  readonly skippedRows: { readonly reader: number; readonly fit: number; readonly test: number };
}
const fingerprintOf = (data: { fingerprint: Record<string, unknown> }): Fingerprint => data.fingerprint as unknown as Fingerprint;

const vocabulary = (spec: FittedSpec, name: string): string[] => (spec.columns.find((c) => c.name === name) as { encoding: { values: string[] } }).encoding.values;

/** The stream data of a config after its fit pass, and the spec fitted on it. */
async function fitted(config: RunConfig): Promise<{ data: StreamData; spec: FittedSpec }> {
  const data = await StreamData.open(config.data, config.seed, config.train.validationFraction);
  const spec = await fitResolved(config.features, data.fitPass());
  return { data, spec };
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('stream mode (data.stream)', () => {
  it('trains and evaluates: every part counted, batches of exactly batchSize, rows known for the ETA', async () => {
    const config = parseRunConfig(fileConfig({ train, stream: { shuffleBuffer: 500, chunkSize: 256 }, epochs: 2 }));
    const lines: string[] = [];
    const r = await fitRun(config, { log: (l) => lines.push(l) });
    const fp = fingerprintOf(r.data);
    expect(fp.rows.train + fp.rows.validation + fp.rows.test).toBe(ROWS);
    expect(fp.rows.test / ROWS).toBeCloseTo(0.2, 1);
    expect(fp.rows.validation / (ROWS - fp.rows.test)).toBeCloseTo(0.2, 1);
    expect(fp.rows.validationScored).toBe(fp.rows.validation);
    expect(fp.skippedRows).toEqual({ reader: 0, fit: 0, test: 0 });
    expect(r.result.steps).toBe(2 * Math.ceil(fp.rows.train / 64));
    expect(r.test.auc).toBeGreaterThan(0.75);
    expect(r.test.count).toBe(fp.rows.test);
    expect(r.validation?.count).toBe(fp.rows.validation);
    expect(r.result.history[1]!.trainLoss).toBeLessThan(r.result.history[0]!.trainLoss);
    expect(lines.join('\n')).toMatch(/training rows, \d+ validation rows/);
    expect(() => r.data.test).toThrow(/stream-mode run holds no test rows/);
    await r.model.release();

    const { data, spec } = await fitted(config);
    const source = data.source(spec, 64);
    const sizes = (await collect(source.batches(0))).map((b) => b.size);
    expect(sizes.slice(0, -1).every((s) => s === 64)).toBe(true);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(source.rows);
    expect(source.rows).toBe(fp.rows.train);
  });

  it('same seed, same batches; epochs differ; another seed differs', async () => {
    const config = parseRunConfig(fileConfig({ train, stream: { shuffleBuffer: 400, chunkSize: 300 } }));
    const labelsOf = async (data: StreamData, spec: FittedSpec, epoch: number): Promise<number[]> =>
      (await collect(data.source(spec, 64).batches(epoch))).flatMap((b: ModelBatch) => [...(b.labels as Float32Array), ...(b.wide?.ids ?? [])]);
    const a = await fitted(config);
    const b = await fitted(config);
    expect(b.spec).toEqual(a.spec);
    const a0 = await labelsOf(a.data, a.spec, 0);
    expect(await labelsOf(b.data, b.spec, 0)).toEqual(a0);
    expect(await labelsOf(a.data, a.spec, 1)).not.toEqual(a0);
    const order = async (c: RunConfig, epoch: number): Promise<number[]> => {
      const { data } = await fitted(c);
      return (await collect(data.trainingChunks(epoch))).flatMap((ch) => [...ch.rowNumbers]);
    };
    const first = await order(config, 0);
    expect(await order(parseRunConfig(fileConfig({ train, seed: 6, stream: { shuffleBuffer: 400, chunkSize: 300 } })), 0)).not.toEqual(first);
    // Same seed, other chunk size: the same rows are held out (the split depends on row numbers only).
    const other = await order(parseRunConfig(fileConfig({ train, stream: { shuffleBuffer: 400, chunkSize: 97 } })), 0);
    expect([...other].sort((x, y) => x - y)).toEqual([...first].sort((x, y) => x - y));
  });

  it('validation and test rows never reach the fit or training: a value planted only there is not in the vocabulary', async () => {
    const h: HoldOut = { seed: 5, testFraction: 0.2, validationFraction: 0.2 };
    const planted = join(dir, 'planted.csv');
    const value = (line: number): string | null => {
      const part = rowPart(line, h);
      return part === 'validation' ? 'VAL_ONLY' : part === 'test' ? 'TEST_ONLY' : line % 100 === 0 ? 'TRAIN_TOO' : null;
    };
    writeCsv(planted, ROWS, { seed: 3, value });
    const config = parseRunConfig(fileConfig({ train: planted, stream: { shuffleBuffer: 100, chunkSize: 128, maxValidationRows: 50 } }));
    const { data, spec } = await fitted(config);
    const users = vocabulary(spec, 'user');
    expect(users).not.toContain('VAL_ONLY');
    expect(users).not.toContain('TEST_ONLY');
    expect(users).toContain('TRAIN_TOO'); // the control: a value in training rows is fitted
    expect(users.length).toBeGreaterThan(30);
    // Validation beyond the cap is still held out: only the first 50 are kept, and none is trained on.
    expect(data.counts.validationScored).toBe(50);
    expect(data.counts.validation).toBeGreaterThan(50);
    const kept = data.validationRows()!;
    expect([...kept.rowNumbers].every((n) => rowPart(n, h) === 'validation')).toBe(true);
    for (const epoch of [0, 1]) {
      const rows = (await collect(data.trainingChunks(epoch))).flatMap((c) => [...c.rowNumbers]);
      expect(rows.length).toBe(data.counts.train);
      expect(new Set(rows).size).toBe(rows.length);
      expect(rows.every((n) => rowPart(n, h) === 'train')).toBe(true);
    }
    // The validation set and the test pass only see their own rows (all unseen users: id 0).
    const val = evalSetOf(spec, kept, null);
    expect(val.batches.every((b) => b.wide!.ids.subarray(0, b.size).every((id) => id === 0))).toBe(true);
    const testRows = (await collect(data.testBatches(spec))).reduce((n, b) => n + b.size, 0);
    expect(testRows).toBe(data.counts.heldOutTest);
    // loadRunData (widedeep eval) holds out the same test rows.
    const loaded = await loadRunData(config.data, config.seed);
    expect(loaded.test.numRows).toBe(data.counts.heldOutTest);
    expect([...loaded.test.rowNumbers].every((n) => rowPart(n, h) === 'test')).toBe(true);
  });

  it('with a shuffle buffer >= the file, results are comparable to the memory path (not identical: other split and order)', async () => {
    const memory = await fitRun(parseRunConfig(fileConfig({ train, test, stream: null, epochs: 3 })));
    const streamed = await fitRun(parseRunConfig(fileConfig({ train, test, stream: { shuffleBuffer: 10_000 }, epochs: 3 })));
    expect(streamed.test.count).toBe(1000);
    expect(Math.abs((streamed.test.auc as number) - (memory.test.auc as number))).toBeLessThan(0.03);
    expect(Math.abs((streamed.test.logLoss as number) - (memory.test.logLoss as number))).toBeLessThan(0.03);
    expect(fingerprintOf(streamed.data).rows.test).toBe(1000);
    await memory.model.release();
    await streamed.model.release();
  });

  it("bad rows: the reader's onBadRow and the transform's skip policy work and are counted", async () => {
    const bad = join(dir, 'bad.csv');
    writeCsv(bad, 1000, { seed: 4, badLines: [5, 300, 700] });
    const strict = parseRunConfig(fileConfig({ train: bad, stream: {} }));
    await expect(fitRun(strict)).rejects.toThrow(/row 5/);
    const r = await fitRun(parseRunConfig(fileConfig({ train: bad, stream: {}, onBadRow: 'skip', epochs: 1 })));
    const fp = fingerprintOf(r.data);
    expect(fp.skippedRows.reader).toBe(3);
    expect(fp.rows.train + fp.rows.validation + fp.rows.test).toBe(997);
    await r.model.release();

    // Missing x (no missing strategy) is a transform error, or a skipped and counted row under features.onBadRow: skip.
    const gaps = join(dir, 'gaps.csv');
    writeCsv(gaps, 1000, { seed: 4 });
    const { readFileSync, writeFileSync } = await import('node:fs');
    writeFileSync(gaps, readFileSync(gaps, 'utf8').split('\n').map((l, i) => (i > 0 && i % 50 === 0 ? l.replace(/,-?[\d.]+,([01])$/, ',,$1') : l)).join('\n'));
    const raw = fileConfig({ train: gaps, stream: { chunkSize: 100 }, epochs: 1 });
    await expect(fitRun(parseRunConfig(raw))).rejects.toThrow(WideDeepError);
    const features = { ...(raw.features as Record<string, unknown>), onBadRow: 'skip' };
    const s = await fitRun(parseRunConfig({ ...raw, features }));
    const sfp = fingerprintOf(s.data);
    expect(sfp.skippedRows.fit).toBeGreaterThan(5);
    expect(sfp.skippedRows.test).toBeGreaterThan(0);
    expect(s.spec.fitStats.skippedRows).toBe(sfp.skippedRows.fit);
    expect(s.result.steps).toBe(Math.ceil((sfp.rows.train - sfp.skippedRows.fit) / 64));
    expect(s.test.count).toBe(sfp.rows.test - sfp.skippedRows.test);
    await s.model.release();
  });

  it('a run killed after epoch 1 and resumed from its checkpoint ends exactly like an uninterrupted one', async () => {
    const config = parseRunConfig(fileConfig({ train, stream: { shuffleBuffer: 300, chunkSize: 256 }, epochs: 3, earlyStopping: true }));
    const whole = await fitRun(config);
    const saved = await checkpointOfKilledRun(config, 1);
    const resumed = await fitRun(config, { resume: saved });
    expect(resumed.result.history.map((h) => h.validation)).toEqual(whole.result.history.map((h) => h.validation));
    expect(resumed.test).toEqual(whole.test);
    await whole.model.release();
    await resumed.model.release();
  });

  it('maxSteps stops mid-epoch (the scan under the shuffle buffer is closed)', async () => {
    const r = await fitRun(parseRunConfig({ ...fileConfig({ train, stream: { shuffleBuffer: 200, chunkSize: 128 } }), train: { epochs: 3, batchSize: 32, maxSteps: 7 } }));
    expect(r.result.steps).toBe(7);
    expect(r.result.history).toHaveLength(1);
    await r.model.release();
  });

  it('config: unknown keys name the valid ones; stream applies to files and criteo only', () => {
    const bad = (stream: unknown, dataset = 'files'): WideDeepError => {
      const raw = fileConfig({ train });
      try {
        parseRunConfig({ ...raw, data: { ...(raw.data as Record<string, unknown>), dataset, stream } });
      } catch (e) {
        return e as WideDeepError;
      }
      throw new Error('no error');
    };
    const e = bad({ shuffle: 10 });
    expect(e.code).toBe('CONFIG');
    expect(e.message).toContain('unknown: shuffle');
    expect(e.message).toContain('valid keys of data.stream: shuffleBuffer, chunkSize, maxValidationRows');
    expect(bad({ shuffleBuffer: 0 }).details.field).toBe('data.stream.shuffleBuffer');
    expect(bad(true).message).toContain('valid keys of data.stream');
    expect(bad({}, 'adult').message).toMatch(/data\.stream applies to the datasets files and criteo, not adult/);
    const defaults = parseRunConfig(fileConfig({ train, stream: {} })).data.stream;
    expect(defaults).toEqual({ shuffleBuffer: 100_000, chunkSize: 8192, maxValidationRows: 100_000 });
    expect(parseRunConfig(fileConfig({ train, stream: null })).data.stream).toBeUndefined();
  });
});

describe('stream building blocks', () => {
  /** A batch of `n` examples: example i has label start+i and a wide bag of (i % 3) ids start+i. */
  const batch = (start: number, n: number): ModelBatch => {
    const ids: number[] = [];
    const offsets = [0];
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < i % 3; j++) ids.push(start + i);
      offsets.push(ids.length);
    }
    const dense = Float32Array.from({ length: 2 * n }, (_, k) => start + Math.floor(k / 2));
    return { size: n, wide: { keys: ['a'], batchSize: n, ids: Int32Array.from(ids), offsets: Int32Array.from(offsets) }, dense, labels: Float32Array.from({ length: n }, (_, i) => start + i) };
  };
  const examples = (b: ModelBatch): string[] =>
    Array.from({ length: b.size }, (_, i) => {
      const w = b.wide!;
      return `${b.labels![i]}:${[...w.ids.subarray(w.offsets[i], w.offsets[i + 1])].join('.')}:${b.dense![2 * i]}`;
    });

  it('exactBatches cuts any chunk sizes into batches of exactly batchSize, carrying remainders, order kept', async () => {
    const parts = [batch(0, 5), batch(5, 3), batch(8, 0), batch(8, 10), batch(18, 1), batch(19, 4)];
    const out = await collect(exactBatches(parts, 4));
    expect(out.map((b) => b.size)).toEqual([4, 4, 4, 4, 4, 3]);
    expect(out.flatMap(examples)).toEqual(parts.flatMap(examples));
    expect((await collect(exactBatches([batch(0, 8)], 4))).map((b) => b.size)).toEqual([4, 4]);
    // Batches larger than the chunks: several chunks make one batch.
    const small = Array.from({ length: 7 }, (_, i) => batch(3 * i, 3));
    const joined = await collect(exactBatches(small, 10));
    expect(joined.map((b) => b.size)).toEqual([10, 10, 1]);
    expect(joined.flatMap(examples)).toEqual(small.flatMap(examples));
  });

  it('evaluateBatches on a stream equals evaluateModel on the same batches', async () => {
    const r = await fitRun(parseRunConfig(fileConfig({ train, stream: null, epochs: 1 })));
    const set = evalSetOf(r.spec, (await loadRunData(parseRunConfig(fileConfig({ train, stream: null })).data, 5)).test, null, 333);
    async function* stream(): AsyncGenerator<ModelBatch> {
      yield* set.batches;
    }
    expect(await evaluateBatches(r.model, stream())).toEqual(await evaluateModel(r.model, set));
    await r.model.release();
  });
});
