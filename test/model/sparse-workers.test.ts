import { describe, expect, it } from 'vitest';
import { WideDeepError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/rng.js';
import type { ModelConfigInput } from '../../src/model/config.js';
import type { ModelBatch, ModelSizes } from '../../src/model/sizes.js';
import { WideDeepModel } from '../../src/model/wide-deep.js';
import { SparseLanes } from '../../src/sparse/index.js';
import { sparseBatchFromBags } from '../../src/core/sparse-batch.js';
import type { SparseBatch } from '../../src/core/sparse-batch.js';
import { makeBatch, sizes as planted } from '../helpers/planted-batch.js';

// Five pooled tables (sum and mean, single ids and bags with weights-free means), so that 1, 2 and 3 workers
// share them out differently; the planted batch's `a` and `tags` are read twice under other keys.
const sizes: ModelSizes = {
  ...planted,
  embeddings: [
    ...planted.embeddings,
    { key: 'a2', size: 6, dim: 5, pooling: 'mean' },
    { key: 'tags2', size: 8, dim: 2, pooling: 'sum' },
    { key: 'hist', size: 8, dim: 3, pooling: 'mean' },
  ],
};

function batches(n: number, seed = 3): ModelBatch[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => {
    const b = makeBatch(rng, 24);
    const d = b.deep!;
    // a2 and tags2 read the same bags as a and tags.
    const keys = [...d.keys, 'a2', 'tags2'];
    const bags = (f: number): [number, number] => [d.offsets[f * b.size] as number, d.offsets[(f + 1) * b.size] as number];
    const [a0, a1] = bags(0);
    const [t0, t1] = bags(1);
    const ids = Int32Array.from([...d.ids, ...d.ids.subarray(a0, a1), ...d.ids.subarray(t0, t1)]);
    const offsets = new Int32Array(keys.length * b.size + 1);
    offsets.set(d.offsets);
    const end = d.offsets[d.offsets.length - 1] as number;
    for (let i = 1; i <= b.size; i++) offsets[3 * b.size + i] = end + (d.offsets[i] as number) - a0;
    for (let i = 1; i <= b.size; i++) offsets[4 * b.size + i] = end + (a1 - a0) + (d.offsets[b.size + i] as number) - t0;
    return { ...b, deep: { keys, batchSize: b.size, ids, offsets } };
  });
}

/** A batch's bags per key (the inverse of sparseBatchFromBags). */
function bagsOf(b: SparseBatch): Record<string, number[][]> {
  return Object.fromEntries(b.keys.map((key, f) => [key, Array.from({ length: b.batchSize }, (_, i) => [...b.ids.subarray(b.offsets[f * b.batchSize + i]!, b.offsets[f * b.batchSize + i + 1]!)])]));
}

const full = (m: WideDeepModel): Map<string, Float32Array> => new Map(m.exportState('full').tensors);

async function train(config: ModelConfigInput, sparseWorkers: number | undefined, ema: boolean): Promise<{ losses: number[]; state: Map<string, Float32Array>; prediction: Float32Array }> {
  const model = await WideDeepModel.create(sizes, config, { seed: 11, threads: 1, ...(sparseWorkers !== undefined ? { sparseWorkers } : {}) });
  try {
    if (ema) model.startAveraging(0.9);
    const losses: number[] = [];
    const data = batches(12);
    // A last batch of another size: the shared buffers are sized again.
    data.push(batches(1, 5).map((b) => ({ ...b }))[0]!);
    for (const [i, b] of data.entries()) losses.push(await model.trainStep(b, { embeddings: i % 2 === 0 ? undefined : 0.03 }));
    const prediction = (await model.predict(batches(1, 9)[0]!)).prediction;
    return { losses, state: full(model), prediction };
  } finally {
    await model.release();
  }
}

const configs: Record<string, ModelConfigInput> = {
  'FTRL + AdaGrad': { kind: 'wide_deep', deep: { type: 'mlp', hidden: [8], dropout: 0.2 }, optimizers: { wide: { type: 'ftrl', alpha: 0.5, l1: 0.01 }, embeddings: { type: 'adagrad', lr: 0.1 }, deep: { type: 'adam', lr: 0.02 } } },
  'FTRL + lazy Adam': { kind: 'wide_deep', deep: { type: 'mlp', hidden: [8] }, optimizers: { wide: { type: 'ftrl', alpha: 0.5 }, embeddings: { type: 'lazy-adam', lr: 0.05 }, deep: { type: 'adam', lr: 0.02 } } },
};

describe('sparseWorkers: the embedding tables and the wide features gathered and updated on worker threads', () => {
  for (const [name, config] of Object.entries(configs)) {
    for (const ema of [false, true]) {
      it(`${name}${ema ? ' + EMA' : ''}: the same weights, optimizer state, averages, losses and predictions bit for bit at 0, 1, 2 and 3 workers`, async () => {
        const off = await train(config, undefined, ema);
        expect(off.state.has('emb.hist') && off.state.has('emb.tags2')).toBe(true);
        if (ema) expect([...off.state.keys()].some((k) => k.startsWith('ema.emb.'))).toBe(true);
        for (const workers of [1, 2, 3]) {
          const on = await train(config, workers, ema);
          expect(on.losses).toEqual(off.losses);
          expect([...on.state.keys()]).toEqual([...off.state.keys()]);
          for (const [k, v] of off.state) expect(Buffer.from((on.state.get(k) as Float32Array).buffer).equals(Buffer.from(v.buffer)), `${k} at ${workers} workers`).toBe(true);
          expect(on.prediction).toEqual(off.prediction);
        }
      }, 60_000);
    }
  }

  it("an id outside a worker's table is the same BATCH error as on one thread", async () => {
    const config = configs['FTRL + lazy Adam']!;
    const bad = batches(1)[0]!;
    const d = bad.deep!;
    const f = d.keys.indexOf('tags2');
    const ids = Int32Array.from(d.ids);
    ids[d.offsets[f * bad.size + 1]! - 1] = 99; // the last id of example 0's tags2 bag, or of an earlier bag
    const broken = { ...bad, deep: { ...d, ids } };
    const messages: string[] = [];
    for (const sparseWorkers of [undefined, 3]) {
      const model = await WideDeepModel.create(sizes, config, { seed: 1, threads: 1, ...(sparseWorkers ? { sparseWorkers } : {}) });
      try {
        const err = await model.trainStep(broken).then(() => null, (e: unknown) => e);
        expect(err).toBeInstanceOf(WideDeepError);
        expect((err as WideDeepError).code).toBe('BATCH');
        messages.push((err as WideDeepError).message);
        // The model goes on after the refused batch.
        expect(Number.isFinite(await model.trainStep(bad))).toBe(true);
      } finally {
        await model.release();
      }
    }
    expect(messages[1]).toBe(messages[0]);
  }, 60_000);

  it('a batch the wide part refuses while the workers gather: the same error, and the next batches train as on one thread', async () => {
    const config: ModelConfigInput = { kind: 'wide_deep', deep: { type: 'mlp', hidden: [8] }, optimizers: { wide: { type: 'ftrl' }, embeddings: { type: 'lazy-adam', lr: 0.01 } } };
    const [bad, ...good] = batches(4, 9);
    // An id outside the wide table (found by the wide part's feed, which runs while the lanes gather) and one
    // outside a worker's table (found by the lanes, after): the step fails with the wide part's error.
    const wideIds = Int32Array.from(bad!.wide!.ids);
    wideIds[0] = 999;
    const deepIds = Int32Array.from(bad!.deep!.ids);
    deepIds[bad!.deep!.offsets[bad!.deep!.keys.indexOf('tags2') * bad!.size + 1]! - 1] = 99;
    const broken = { ...bad!, wide: { ...bad!.wide!, ids: wideIds }, deep: { ...bad!.deep!, ids: deepIds } };
    const runs: { message: string; state: Map<string, Float32Array> }[] = [];
    for (const sparseWorkers of [0, 3]) {
      const model = await WideDeepModel.create(sizes, config, { seed: 1, threads: 1, sparseWorkers });
      try {
        const err = await model.trainStep(broken).then(() => null, (e: unknown) => e);
        expect((err as WideDeepError).code).toBe('BATCH');
        for (const b of good) await model.trainStep(b);
        runs.push({ message: (err as WideDeepError).message, state: full(model) });
      } finally {
        await model.release();
      }
    }
    expect(runs[1]!.message).toBe(runs[0]!.message);
    expect(runs[0]!.message).toMatch(/wide|999/);
    for (const [k, v] of runs[0]!.state) expect(Buffer.from(runs[1]!.state.get(k)!.buffer).equals(Buffer.from(v.buffer)), k).toBe(true);
  }, 60_000);

  it('the wide part on the lanes: three outputs and weighted multi-hot wide bags, the same weights, logits and predictions bit for bit at 0, 1, 2 and 3 workers', async () => {
    // Every wide feature's rows of each of the three outputs' tables is a table of the lanes; `tags` is a
    // weighted bag (the batch's weights apply to the wide ids), and a feature of width 1 gets a column too.
    const multi: ModelSizes = { ...sizes, objective: 'multiclass', numClasses: 3, wide: [...sizes.wide, { key: 'tags', size: 8 }, { key: 'one', size: 1 }] };
    const data = (n: number, seed: number): ModelBatch[] =>
      batches(n, seed).map((b) => {
        const rng = new Rng(seed + b.size);
        const tags = Array.from({ length: b.size }, () => Array.from({ length: rng.int(4) }, () => 1 + rng.int(7)));
        const w = b.wide!;
        const wide = sparseBatchFromBags({ ...bagsOf(w), tags, one: Array.from({ length: b.size }, () => [0]) });
        // Weighted ids in the tags bags, weight 1 elsewhere.
        const [t0, t1] = [wide.offsets[3 * b.size]!, wide.offsets[4 * b.size]!];
        const weights = Float32Array.from(wide.ids, (_, i) => (i >= t0 && i < t1 ? 0.25 + ((i * 7) % 5) / 4 : 1));
        const labels = Float32Array.from(b.labels!, (_, i) => (i * 5 + seed) % 3);
        return { ...b, wide: { ...wide, weights }, labels };
      });
    const config: ModelConfigInput = { kind: 'wide_deep', deep: { type: 'mlp', hidden: [8] }, optimizers: { wide: { type: 'ftrl', alpha: 0.5, l1: 0.01, l2: 0.1 }, embeddings: { type: 'adagrad', lr: 0.1 }, deep: { type: 'adam', lr: 0.02 } } };
    const run = async (sparseWorkers: number) => {
      const model = await WideDeepModel.create(multi, config, { seed: 5, threads: 1, sparseWorkers });
      try {
        const losses: number[] = [];
        for (const [i, b] of data(10, 2).entries()) losses.push(await model.trainStep(b, { wide: i % 3 === 0 ? 0.2 : undefined }));
        const trained = full(model);
        // Weights whose sum depends on the order of the terms (1 + 2^60 - 2^60 is 0 in feature order):
        // the logits must add the features' columns to the bias in one order, whatever lane gathered them.
        const big = [1, 2 ** 60, -(2 ** 60), 0.5, 3];
        for (const t of model.tables().filter((t) => t.name.startsWith('wide'))) {
          let row = 0;
          multi.wide.forEach((f, j) => {
            for (let r = 0; r < f.size; r++) t.data[(row + r) * t.stride] = big[j] as number;
            row += f.size;
          });
        }
        const p = await model.predict(data(1, 8)[0]!);
        return { losses, state: trained, wideLogits: p.wideLogits, prediction: p.prediction };
      } finally {
        await model.release();
      }
    };
    const off = await run(0);
    expect(off.state.has('wide.2')).toBe(true);
    expect(off.wideLogits.some((x) => x !== 0)).toBe(true);
    for (const workers of [1, 2, 3]) {
      const on = await run(workers);
      expect(on.losses).toEqual(off.losses);
      for (const [k, v] of off.state) expect(Buffer.from((on.state.get(k) as Float32Array).buffer).equals(Buffer.from(v.buffer)), `${k} at ${workers} workers`).toBe(true);
      expect(on.wideLogits).toEqual(off.wideLogits);
      expect(on.prediction).toEqual(off.prediction);
    }
  }, 60_000);

  for (const kind of ['wide', 'deep'] as const) {
    it(`a ${kind}-only model on the lanes: the same weights, losses and predictions bit for bit at 0 and 2 workers`, async () => {
      const config: ModelConfigInput = { kind, deep: { type: 'mlp', hidden: [8] }, optimizers: { wide: { type: 'ftrl', alpha: 0.5 }, embeddings: { type: 'adagrad', lr: 0.1 }, deep: { type: 'adam', lr: 0.02 } } };
      const run = async (sparseWorkers: number) => {
        const model = await WideDeepModel.create(sizes, config, { seed: 3, threads: 1, sparseWorkers });
        try {
          const losses: number[] = [];
          for (const b of batches(6, 7)) losses.push(await model.trainStep(b));
          return { losses, state: full(model), prediction: (await model.predict(batches(1, 9)[0]!)).prediction };
        } finally {
          await model.release();
        }
      };
      const off = await run(0);
      const on = await run(2);
      expect(on.losses).toEqual(off.losses);
      expect([...on.state.keys()]).toEqual([...off.state.keys()]);
      for (const [k, v] of off.state) expect(Buffer.from((on.state.get(k) as Float32Array).buffer).equals(Buffer.from(v.buffer)), k).toBe(true);
      expect(on.prediction).toEqual(off.prediction);
    }, 60_000);
  }

  it('bad ids in several wide features and an embedding table: the error one thread meets first, whichever lanes own them', async () => {
    const config = configs['FTRL + AdaGrad']!;
    const [bad] = batches(1, 4);
    const w = bad!.wide!;
    const wideIds = Int32Array.from(w.ids);
    // The last example's id of the cross (feature 2) and of b (feature 1): one thread meets b's first.
    wideIds[w.offsets[3 * bad!.size]! - 1] = 77;
    wideIds[w.offsets[2 * bad!.size]! - 1] = 66;
    const d = bad!.deep!;
    const deepIds = Int32Array.from(d.ids);
    deepIds[d.offsets[d.keys.indexOf('a2') * bad!.size + 1]! - 1] = 55;
    const broken = { ...bad!, wide: { ...w, ids: wideIds }, deep: { ...d, ids: deepIds } };
    const messages: string[] = [];
    for (const sparseWorkers of [0, 1, 2, 3]) {
      const model = await WideDeepModel.create(sizes, config, { seed: 1, threads: 1, sparseWorkers });
      try {
        const err = await model.trainStep(broken).then(() => null, (e: unknown) => e);
        expect((err as WideDeepError).code).toBe('BATCH');
        messages.push((err as WideDeepError).message);
      } finally {
        await model.release();
      }
    }
    expect(messages[0]).toMatch(/id 66 of feature b/);
    expect(new Set(messages).size).toBe(1);
  }, 60_000);

  it('refuses a worker count that is not a positive integer', async () => {
    for (const n of [-1, 1.5, 64]) await expect(SparseLanes.start(n)).rejects.toThrow(/sparseWorkers must be an integer/);
  });
});
