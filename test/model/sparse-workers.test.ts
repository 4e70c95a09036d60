import { describe, expect, it } from 'vitest';
import { WideDeepError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/rng.js';
import type { ModelConfigInput } from '../../src/model/config.js';
import type { ModelBatch, ModelSizes } from '../../src/model/sizes.js';
import { WideDeepModel } from '../../src/model/wide-deep.js';
import { SparseLanes } from '../../src/sparse/index.js';
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

describe('sparseWorkers: the embedding tables gathered and updated on worker threads', () => {
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

  it('refuses a worker count that is not a positive integer', async () => {
    for (const n of [-1, 1.5, 64]) await expect(SparseLanes.start(n)).rejects.toThrow(/sparseWorkers must be an integer/);
  });
});
