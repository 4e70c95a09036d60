import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { saveBundle } from '../../src/artifact/bundle.js';
import { exportOnnx, onnxFeeds, type OnnxLayout } from '../../src/artifact/onnx-export.js';
import { sliceRows } from '../../src/data/index.js';
import { transform } from '../../src/features/transform.js';
import { modelBatchOf } from '../../src/model/from-spec.js';
import { fitRun } from '../../src/train/pipeline.js';
import { parseRunConfig } from '../../src/train/run-config.js';
import { nodeExecutor } from '../../src/runtime/index.js';
import { jsonLines, runCli } from '../helpers/cli.js';
import { smallConfig } from '../helpers/small-config.js';
import { Rng } from '../../src/core/rng.js';
import type { ModelConfigInput } from '../../src/model/config.js';
import type { ModelSizes } from '../../src/model/sizes.js';
import { WideDeepModel } from '../../src/model/wide-deep.js';
import { makeBatch, sizes } from '../helpers/planted-batch.js';

/** Trains a model a few steps, exports it, and returns the largest gap between ONNX Runtime's and predict's scores. */
async function gap(config: ModelConfigInput, s: ModelSizes = sizes): Promise<{ gap: number; inputs: string[]; n: number }> {
  const model = await WideDeepModel.create(s, config, { seed: 11 });
  const rng = new Rng(2);
  for (let i = 0; i < 25; i++) await model.trainStep(makeBatch(rng, 64));
  const { bytes, layout } = exportOnnx(model);
  // The project's own ONNX Runtime session: it takes onnxFeeds' tensors as they are.
  const session = await nodeExecutor.createSession(bytes);
  let worst = 0;
  let n = 0;
  for (const size of [1, 7, 50]) {
    const batch = makeBatch(rng, size);
    const out = await session.run(onnxFeeds(layout, batch), { prediction: null });
    const theirs = out.prediction!.data as Float32Array;
    const mine = (await model.predict(batch)).prediction;
    expect(theirs.length).toBe(mine.length);
    for (let i = 0; i < mine.length; i++) worst = Math.max(worst, Math.abs((theirs[i] as number) - (mine[i] as number)));
    n += mine.length;
  }
  const inputs = [...session.inputNames];
  await session.release();
  await model.release();
  return { gap: worst, inputs, n };
}

describe('ONNX export (one graph, weights as initializers)', () => {
  it('scores as predict does: wide & deep MLP over sum- and mean-pooled bags (empty ones too) and numerics', async () => {
    const r = await gap({ kind: 'wide_deep', deep: { type: 'mlp', hidden: [8, 4] } });
    expect(r.gap).toBeLessThan(1e-5);
    expect(r.inputs.sort()).toEqual(['ids_a', 'ids_tags', 'num', 'weights_a', 'weights_tags', 'wide_ids', 'wide_weights']);
  });

  it('wide-only and deep-only models', async () => {
    expect((await gap({ kind: 'wide' })).gap).toBeLessThan(1e-5);
    expect((await gap({ kind: 'deep', deep: { type: 'mlp', hidden: [8] } })).gap).toBeLessThan(1e-5);
  });

  it('a GRU over the history, batch norm buffers, multi-class and regression outputs', async () => {
    const gru = await gap({ kind: 'wide_deep', deep: { type: 'gru', sequence: 'hist', hidden: 6 } });
    expect(gru.gap).toBeLessThan(1e-5);
    expect(gru.inputs).toContain('seq_ids_hist');
    expect((await gap({ kind: 'wide_deep', deep: { type: 'mlp', hidden: [8], batchNorm: true, dropout: 0.3 } })).gap).toBeLessThan(1e-5);
    const mc = await gap({ kind: 'wide_deep', deep: { type: 'mlp', hidden: [8] } }, { ...sizes, objective: 'multiclass', numClasses: 3 });
    expect(mc.gap).toBeLessThan(1e-5);
    expect(mc.n).toBe(3 * (1 + 7 + 50));
    expect((await gap({ kind: 'wide_deep', deep: { type: 'mlp', hidden: [8] } }, { ...sizes, objective: 'regression' })).gap).toBeLessThan(1e-4);
  });

  it('`widedeep export` writes the graph and its layout, which score a bundle\'s test rows as the model does', async () => {
    const config = parseRunConfig(smallConfig({ epochs: 1 }));
    const outcome = await fitRun(config);
    const dir = mkdtempSync(join(tmpdir(), 'wd-export-'));
    await saveBundle(join(dir, 'model'), { config: config.raw, model: config.model, spec: outcome.spec, seed: config.seed, state: outcome.model.exportState('weights') });
    const r = await runCli(['export', '--model', join(dir, 'model'), '--out', join(dir, 'm.onnx')]);
    expect(r.code).toBe(0);
    expect(jsonLines(r.stdout)[0]).toMatchObject({ event: 'exported' });
    const layout = JSON.parse(readFileSync(join(dir, 'm.onnx.json'), 'utf8')) as OnnxLayout;
    const session = await nodeExecutor.createSession(readFileSync(join(dir, 'm.onnx')));
    const batch = modelBatchOf(transform(outcome.spec, sliceRows(outcome.data.test, 0, 200), { mode: 'serve' }));
    const theirs = (await session.run(onnxFeeds(layout, batch), { prediction: null })).prediction!.data as Float32Array;
    await session.release();
    const mine = (await outcome.model.predict(batch)).prediction;
    let worst = 0;
    for (let i = 0; i < mine.length; i++) worst = Math.max(worst, Math.abs((theirs[i] as number) - (mine[i] as number)));
    expect(worst).toBeLessThan(1e-5);
    // A batch that lacks what the layout needs is an error naming it.
    const { dense: _d, ...noDense } = batch;
    const { wide: _w, ...noWide } = batch;
    const { deep: _e, ...noDeep } = batch;
    expect(() => onnxFeeds(layout, noDense)).toThrow(/dense block/);
    expect(() => onnxFeeds(layout, noWide)).toThrow(/no wide features/);
    expect(() => onnxFeeds(layout, noDeep)).toThrow(/no deep features/);
    await outcome.model.release();
    const bad = await runCli(['export', '--model', join(dir, 'model'), '--out', join(dir, 'm.txt')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--out must name a \.onnx file/);
  }, 60_000);
});
