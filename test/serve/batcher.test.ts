import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBundle } from '../../src/artifact/bundle.js';
import type { WideDeepError } from '../../src/core/errors.js';
import type { FittedSpec } from '../../src/features/fitted-spec.js';
import { rowsToChunk } from '../../src/features/rows.js';
import { transform } from '../../src/features/transform.js';
import { modelBatchOf } from '../../src/model/from-spec.js';
import { WideDeepModel } from '../../src/model/wide-deep.js';
import { type BatchStats, MicroBatcher } from '../../src/serve/batcher.js';
import { fixedSlot, type ModelSlot, openSlot } from '../../src/serve/model-slot.js';
import { predictRows } from '../../src/serve/predict-rows.js';
import { FIXTURE } from '../helpers/bundle-fixture.js';
import { rowsFor } from './bundle-versions.js';

const SIZES = [1, 7, 1, 30, 2, 13, 1, 64, 5, 1, 21, 3];

/** The error a promise rejects with. */
async function failure(p: Promise<unknown>): Promise<WideDeepError> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: unknown) => err as WideDeepError,
  );
}

/** The request sets of the tests: request i has SIZES[i] rows, all different. */
function requests(): Record<string, unknown>[][] {
  let from = 0;
  return SIZES.map((n) => {
    const rows = rowsFor(n, from);
    from += n;
    return rows;
  });
}

describe('micro-batcher', () => {
  let slot: ModelSlot;

  beforeAll(async () => {
    slot = await openSlot(join(FIXTURE, 'model'));
  });
  afterAll(async () => {
    await slot?.close();
  });

  it('coalesces concurrent requests into one model call, each answered with exactly its own rows', async () => {
    const stats: BatchStats[] = [];
    const batcher = new MicroBatcher(slot, { maxRows: 1000, maxWaitMs: 0, onBatch: (s) => stats.push(s) });
    const reqs = requests();
    const answers = await Promise.all(reqs.map((rows) => batcher.score({ rows, explain: false, topK: 5 })));
    const total = SIZES.reduce((a, b) => a + b, 0);
    // All were queued before the batcher's turn came: one model call for all of them.
    expect(stats.map((s) => [s.rows, s.requests])).toEqual([[total, SIZES.length]]);
    const { model, spec, digest } = slot.current();
    for (const [i, rows] of reqs.entries()) {
      const alone = await predictRows(model, spec, rows);
      expect(answers[i]!.digest).toBe(digest);
      expect(answers[i]!.batchRows).toBe(total);
      const got = (answers[i]!.body as { predictions: number[] }).predictions;
      expect(got).toHaveLength(rows.length);
      // Bit-identical to the request scored alone (this model; ONNX Runtime's kernels may differ by batch size).
      expect(got).toEqual(alone.predictions);
    }
    await batcher.close();
  });

  it('never puts more than maxRows rows in one call, and scores a larger request alone and whole', async () => {
    const stats: BatchStats[] = [];
    const batcher = new MicroBatcher(slot, { maxRows: 16, maxWaitMs: 0, onBatch: (s) => stats.push(s) });
    const reqs = requests();
    const answers = await Promise.all(reqs.map((rows) => batcher.score({ rows, explain: false, topK: 5 })));
    for (const s of stats) expect(s.rows <= 16 || s.requests === 1).toBe(true);
    expect(stats.reduce((n, s) => n + s.rows, 0)).toBe(SIZES.reduce((a, b) => a + b, 0));
    expect(stats.reduce((n, s) => n + s.requests, 0)).toBe(SIZES.length);
    expect(stats.filter((s) => s.requests > 1).length).toBeGreaterThan(0);
    expect(stats.find((s) => s.rows === 64)?.requests).toBe(1);
    const { model, spec } = slot.current();
    for (const [i, rows] of reqs.entries()) expect((answers[i]!.body as { predictions: number[] }).predictions).toEqual((await predictRows(model, spec, rows)).predictions);
    await batcher.close();
  });

  it('a bad row fails its own request alone, with its row number within that request', async () => {
    const batcher = new MicroBatcher(slot, { maxRows: 1000, maxWaitMs: 5 });
    const reqs = requests();
    const bad = [...reqs[3]!];
    bad[4] = { ...bad[4], age: 'forty' };
    const pending = reqs.map((rows, i) => batcher.score({ rows: i === 3 ? bad : rows, explain: false, topK: 5 }));
    const { model, spec } = slot.current();
    const expected = await failure(predictRows(model, spec, bad, { source: 'request' }));
    const err = await failure(pending[3]!);
    expect({ code: err.code, message: err.message, details: err.details }).toEqual({ code: expected.code, message: expected.message, details: expected.details });
    expect(err.details).toMatchObject({ row: 5, field: 'age' });
    const others = await Promise.all(pending.filter((_, i) => i !== 3));
    expect(others).toHaveLength(SIZES.length - 1);
    await batcher.close();
  });

  it('explains a request alone, as predictRows explains it', async () => {
    const stats: BatchStats[] = [];
    const batcher = new MicroBatcher(slot, { maxRows: 1000, maxWaitMs: 0, onBatch: (s) => stats.push(s) });
    const rows = rowsFor(6, 100);
    const [explained, scored] = await Promise.all([batcher.score({ rows, explain: true, topK: 2 }), batcher.score({ rows, explain: false, topK: 5 })]);
    const { model, spec } = slot.current();
    expect(explained.body).toEqual(await predictRows(model, spec, rows, { explain: true, topK: 2 }));
    expect(explained.batchRows).toBe(6);
    expect(stats.map((s) => s.requests)).toEqual([1]);
    expect(scored.body).toEqual(await predictRows(model, spec, rows));
    await batcher.close();
  });
});

/** A copy of the fixture model whose wide weight for country `cty02` is NaN. */
async function poisoned(spec: FittedSpec): Promise<WideDeepModel> {
  const { model } = await loadBundle(join(FIXTURE, 'model'));
  const batch = modelBatchOf(transform(spec, rowsToChunk([{ country: 'cty02', app_category: 'cat00', age: 30 }]), { mode: 'serve' }));
  const wide = model.wide[0]!;
  const term = wide.explain(batch.wide!, 0).terms.find((t) => t.key === 'country')!;
  const state = model.exportState('weights');
  state.tensors.get(wide.table.name)![wide.offsets[wide.config.features.findIndex((f) => f.key === 'country')]! + term.id] = Number.NaN;
  const copy = await WideDeepModel.create(model.sizes, model.config, { seed: 1 });
  copy.importState(state);
  await model.release();
  return copy;
}

describe('micro-batcher: a non-finite output', () => {
  it('fails only the request holding that row, named by its row in that request', async () => {
    const { model: good, bundle } = await loadBundle(join(FIXTURE, 'model'));
    const bad = await poisoned(bundle.spec);
    const stats: BatchStats[] = [];
    const batcher = new MicroBatcher(fixedSlot(bad, bundle.spec), { maxRows: 1000, maxWaitMs: 0, onBatch: (s) => stats.push(s) });
    const clean = (n: number, from: number) => rowsFor(n, from).map((r) => ({ ...r, country: 'cty00' }));
    const holding = [...clean(4, 10), { country: 'cty02', app_category: 'cat01', age: 50 }, ...clean(2, 20)];
    const reqs = [clean(3, 0), holding, clean(5, 30)];
    const pending = reqs.map((rows) => batcher.score({ rows, explain: false, topK: 5 }));
    const err = await failure(pending[1]!);
    const expected = await failure(predictRows(bad, bundle.spec, holding, { source: 'request' }));
    expect({ code: err.code, message: err.message, details: err.details }).toEqual({ code: expected.code, message: expected.message, details: expected.details });
    expect(err.details).toMatchObject({ file: 'request', row: 5 });
    expect(err.code).toBe('RUNTIME');
    for (const i of [0, 2]) {
      const got = (await pending[i]!).body as { predictions: number[] };
      expect(got).toEqual(await predictRows(bad, bundle.spec, reqs[i]!));
      // The NaN weight is unused by these rows: the good model scores them the same.
      expect(got).toEqual(await predictRows(good, bundle.spec, reqs[i]!));
    }
    // The joint call failed; the three requests were then scored one by one.
    expect(stats.map((s) => s.requests)).toEqual([1, 1]);
    await batcher.close();
    await bad.release();
    await good.release();
  });
});
