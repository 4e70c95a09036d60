import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import type { ModelConfigInput } from '../../src/model/config.js';
import type { ModelBatch } from '../../src/model/sizes.js';
import { WideDeepModel } from '../../src/model/wide-deep.js';
import { makeBatch, sizes } from '../helpers/planted-batch.js';

const config: ModelConfigInput = {
  kind: 'wide_deep',
  deep: { type: 'mlp', hidden: [8], dropout: 0.2 },
  optimizers: { wide: { type: 'ftrl', alpha: 0.5 }, embeddings: { type: 'lazy-adam', lr: 0.05 }, deep: { type: 'adam', lr: 0.02 } },
};
const decay = 0.8;

function batches(n: number): ModelBatch[] {
  const rng = new Rng(3);
  return Array.from({ length: n }, () => makeBatch(rng, 32));
}

const weights = (m: WideDeepModel): Map<string, Float32Array> => new Map(m.exportState('weights').tensors);

describe('train.ema: weight averages of the whole model', () => {
  it('averages every weight (wide, embeddings, dense) at every step; scoring with them leaves the weights as they were', async () => {
    const model = await WideDeepModel.create(sizes, config, { seed: 7 });
    model.startAveraging(decay);
    const ref = new Map([...weights(model)].map(([k, v]) => [k, Float64Array.from(v)]));
    for (const b of batches(30)) {
      await model.trainStep(b);
      for (const [k, w] of weights(model)) {
        const a = ref.get(k) as Float64Array;
        for (let i = 0; i < a.length; i++) a[i] = decay * (a[i] as number) + (1 - decay) * (w[i] as number);
      }
    }
    const raw = weights(model);
    const probe = makeBatch(new Rng(99), 16);
    const rawPrediction = (await model.predict(probe)).prediction;
    const averaged = await model.withAveragedWeights(async () => weights(model));
    const averagedPrediction = await model.withAveragedWeights(async () => (await model.predict(probe)).prediction);
    expect([...averaged.keys()].sort()).toEqual([...ref.keys()].sort());
    expect([...ref.keys()].some((k) => k.startsWith('dense.')) && ref.has('wide') && ref.has('emb.tags')).toBe(true);
    for (const [k, a] of ref) {
      const got = averaged.get(k) as Float32Array;
      for (let i = 0; i < a.length; i++) expect(got[i]).toBeCloseTo(a[i] as number, 5);
      expect(got).not.toEqual(raw.get(k)); // every tensor moved, so its average lags behind it
    }
    expect(weights(model)).toEqual(raw);
    expect((await model.predict(probe)).prediction).toEqual(rawPrediction);
    expect(averagedPrediction).not.toEqual(rawPrediction);
    // finishAveraging: the averages become the weights.
    model.finishAveraging();
    expect(model.averageDecay).toBeNull();
    expect(weights(model)).toEqual(averaged);
    await model.release();
  });

  it('a full state carries the averages: a model restored from it continues exactly; one without averaging refuses it', async () => {
    const data = batches(16);
    const a = await WideDeepModel.create(sizes, config, { seed: 7 });
    a.startAveraging(decay);
    for (const b of data.slice(0, 8)) await a.trainStep(b);
    const state = a.exportState('full');
    expect([...state.tensors.keys()].filter((k) => k.startsWith('ema.')).length).toBeGreaterThan(3);
    const plain = await WideDeepModel.create(sizes, config, { seed: 7 });
    expect(() => plain.importState(state)).toThrow(/holds weight averages \(it was written with train.ema\)/);
    const b = await WideDeepModel.create(sizes, config, { seed: 1 });
    b.startAveraging(decay);
    b.importState(state);
    for (const x of data.slice(8)) {
      await a.trainStep(x);
      await b.trainStep(x);
    }
    expect(b.exportState('full').tensors).toEqual(a.exportState('full').tensors);
    // A model that averages needs the averages in a full state.
    const c = await WideDeepModel.create(sizes, config, { seed: 7 });
    c.startAveraging(decay);
    expect(() => c.importState(plain.exportState('full'))).toThrow(/has no weight average ema\.wide: it was written by a run without train.ema/);
    // Weights alone (a bundle's) restart the averages from those weights.
    const bundled = a.exportState('weights');
    c.importState(bundled);
    expect(await c.withAveragedWeights(async () => weights(c))).toEqual(new Map(bundled.tensors));
    for (const m of [a, b, c, plain]) await m.release();
  });
});
