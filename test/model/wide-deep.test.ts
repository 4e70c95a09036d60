import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import type { ModelConfigInput } from '../../src/model/config.js';
import type { ModelSizes } from '../../src/model/sizes.js';
import { WideDeepModel, type Prediction } from '../../src/model/wide-deep.js';
import { makeBatch, sizes } from '../helpers/planted-batch.js';

async function trainLoss(config: ModelConfigInput, s: ModelSizes = sizes, steps = 60): Promise<{ first: number; last: number; model: WideDeepModel }> {
  const model = await WideDeepModel.create(s, config, { seed: 7 });
  const rng = new Rng(1);
  const batches = Array.from({ length: 4 }, () => makeBatch(rng, 128));
  const first = await model.trainStep(batches[0]!);
  let last = first;
  for (let i = 1; i < steps; i++) last = await model.trainStep(batches[i % 4]!);
  return { first, last, model };
}

describe('WideDeepModel', () => {
  for (const kind of ['wide', 'deep', 'wide_deep'] as const) {
    it(`${kind}: loss falls on a planted problem`, async () => {
      const { first, last, model } = await trainLoss({ kind, optimizers: { wide: { type: 'ftrl', alpha: 0.5 }, deep: { type: 'adam', lr: 0.01 } } });
      // The wide part cannot see the numeric effect, so its floor is higher.
      expect(last).toBeLessThan(first * (kind === 'wide' ? 0.95 : 0.9));
      await model.release();
    });
  }

  it('gru deep part over a sequence feature trains', async () => {
    const { first, last, model } = await trainLoss({ kind: 'wide_deep', deep: { type: 'gru', sequence: 'hist', hidden: 8 } });
    expect(Number.isFinite(last)).toBe(true);
    expect(last).toBeLessThan(first);
    await model.release();
  });

  it('multiclass and regression objectives train', async () => {
    const mc = await trainLoss({ kind: 'wide_deep' }, { ...sizes, objective: 'multiclass', numClasses: 2 });
    expect(mc.last).toBeLessThan(mc.first);
    const rg = await trainLoss({ kind: 'deep', deep: { type: 'mlp', hidden: [8] } }, { ...sizes, objective: 'regression' });
    expect(rg.last).toBeLessThan(rg.first);
    await mc.model.release();
    await rg.model.release();
  });

  it('the joint gradient reaches the wide weights and the embedding rows (finite differences of the loss)', async () => {
    // Plain SGD everywhere: the change of a weight after one step is -lr * dLoss/dWeight.
    const lr = 1e-3;
    const cfg: ModelConfigInput = {
      kind: 'wide_deep',
      deep: { type: 'mlp', hidden: [8] },
      optimizers: { wide: { type: 'sgd', lr }, embeddings: { type: 'sgd', lr }, deep: { type: 'sgd', lr } },
    };
    const batch = makeBatch(new Rng(3), 32);
    const model = await WideDeepModel.create(sizes, cfg, { seed: 5 });
    // Give the wide weights non-zero values so both parts matter.
    const wide = model.wide[0]!;
    for (let r = 0; r < wide.table.numRows; r++) wide.table.data[r * wide.table.stride] = 0.1 * Math.sin(r);
    const lossOf = async (): Promise<number> => {
      const p = await model.predict(batch);
      let s = 0;
      for (let i = 0; i < batch.size; i++) {
        const q = Math.min(Math.max(p.prediction[i]!, 1e-7), 1 - 1e-7);
        s -= batch.labels![i]! ? Math.log(q) : Math.log(1 - q);
      }
      return s / batch.size;
    };
    const probe = async (data: Float32Array, idx: number): Promise<number> => {
      const h = 1e-2;
      const o = data[idx]!;
      data[idx] = o + h;
      const up = await lossOf();
      data[idx] = o - h;
      const down = await lossOf();
      data[idx] = o;
      return (up - down) / (2 * h);
    };
    const embA = model.embedded.find((e) => e.key === 'a')!.table;
    const tags = model.embedded.find((e) => e.key === 'tags')!.table;
    const targets = [
      { data: wide.table.data, idx: (wide.offsets[2]! + batch.wide!.ids[64]!) * wide.table.stride },
      { data: wide.table.data, idx: wide.biasRow * wide.table.stride },
      { data: embA.data, idx: batch.deep!.ids[0]! * embA.stride + 1 },
      { data: tags.data, idx: 2 * tags.stride + 2 },
    ];
    const numeric: number[] = [];
    for (const t of targets) numeric.push(await probe(t.data, t.idx));
    const before = targets.map((t) => t.data[t.idx]!);
    await model.trainStep(batch);
    targets.forEach((t, i) => {
      const symbolic = (before[i]! - t.data[t.idx]!) / lr;
      expect(Math.abs(symbolic - numeric[i]!)).toBeLessThan(2e-3 + 0.02 * Math.abs(numeric[i]!));
    });
    expect(numeric.some((v) => Math.abs(v) > 1e-3)).toBe(true);
    await model.release();
  });

  it('rejects bad configs and batches with clear errors', async () => {
    await expect(WideDeepModel.create(sizes, { kind: 'wide_deep', deep: { type: 'mlp', hiden: [4] } } as never, { seed: 1 })).rejects.toThrow(/hiden/);
    await expect(WideDeepModel.create({ ...sizes, wide: [] }, { kind: 'wide' }, { seed: 1 })).rejects.toThrow(/wide feature/);
    await expect(WideDeepModel.create(sizes, { deep: { type: 'gru', sequence: 'nope' } }, { seed: 1 })).rejects.toThrow(/nope/);
    const model = await WideDeepModel.create(sizes, {}, { seed: 1 });
    const batch = makeBatch(new Rng(1), 4);
    await expect(model.trainStep({ ...batch, dense: new Float32Array(3) })).rejects.toThrow(/dense block/);
    await expect(model.trainStep({ ...batch, deep: undefined } as never)).rejects.toThrow(/deep SparseBatch/);
    await model.release();
  });
  it('concurrent predict and trainStep calls take turns: each gets its own batch\'s answer', async () => {
    const model = await WideDeepModel.create(sizes, { kind: 'wide_deep', deep: { type: 'mlp', hidden: [8] } }, { seed: 9 });
    const rng = new Rng(4);
    // Same-sized batches share the model's input buffers.
    const batches = Array.from({ length: 12 }, () => makeBatch(rng, 64));
    const alone: Prediction[] = [];
    for (const b of batches) alone.push(await model.predict(b));
    const together = await Promise.all(batches.map((b) => model.predict(b)));
    together.forEach((p, i) => {
      expect(p.prediction).toEqual(alone[i]!.prediction);
      expect(p.wideLogits).toEqual(alone[i]!.wideLogits);
    });
    // A step queued between two predicts runs between them.
    const [before, , after] = await Promise.all([model.predict(batches[0]!), model.trainStep(batches[1]!), model.predict(batches[0]!)]);
    expect(before.prediction).toEqual(alone[0]!.prediction);
    expect(after.prediction).not.toEqual(before.prediction);
    await model.release();
  });
});
