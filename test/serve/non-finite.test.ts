import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entryAt } from '../../src/data/chunk.js';
import { rowsToChunk } from '../../src/features/rows.js';
import { transform } from '../../src/features/transform.js';
import { explainRows } from '../../src/model/explain.js';
import { modelBatchOf } from '../../src/model/from-spec.js';
import { WideDeepModel } from '../../src/model/wide-deep.js';
import { serveModel, type ModelServer } from '../../src/serve/server.js';
import { evaluateModel } from '../../src/train/trainer.js';
import { fitRun, type FitOutcome } from '../../src/train/pipeline.js';
import { parseRunConfig } from '../../src/train/run-config.js';
import { smallConfig } from '../helpers/small-config.js';
import { errorOfAsync } from '../features/fixtures.js';

// Issue 13: no NaN or infinite number reaches a client as a `null` prediction with status 200.

const INPUTS = ['age', 'app_category', 'app_id', 'country', 'installed_apps', 'user_id'];

type Answer = { status: number; json: { predictions?: unknown[]; explanations?: unknown[]; error?: { code: string; message: string; row?: number; field?: string; fix?: string } } };

async function post(url: string, body: unknown): Promise<Answer> {
  const res = await fetch(`${url}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Answer['json'] };
}

/** A copy of `model` whose wide weight for `key`'s value in row `b` of `rows` is NaN (through exportState/importState). */
async function poisoned(model: WideDeepModel, outcome: FitOutcome, rows: Record<string, unknown>[], b: number, key: string): Promise<WideDeepModel> {
  const batch = modelBatchOf(transform(outcome.spec, rowsToChunk(rows), { mode: 'serve' }));
  const wide = model.wide[0]!;
  const term = wide.explain(batch.wide!, b).terms.find((t) => t.key === key)!;
  expect(term.id).toBeGreaterThan(0);
  const state = model.exportState('weights');
  state.tensors.get(wide.table.name)![wide.offsets[wide.config.features.findIndex((f) => f.key === key)]! + term.id] = Number.NaN;
  const copy = await WideDeepModel.create(model.sizes, model.config, { seed: 1 });
  copy.importState(state);
  return copy;
}

describe('serve: non-finite inputs and outputs are errors, never null predictions', () => {
  let outcome: FitOutcome;
  let bad: WideDeepModel;
  let server: ModelServer;
  let badServer: ModelServer;
  let rows: Record<string, unknown>[];
  const failures: string[] = [];

  beforeAll(async () => {
    outcome = await fitRun(parseRunConfig(smallConfig({ epochs: 1 })));
    const test = outcome.data.test;
    // Three rows of three different apps: the poisoned app is row 2's only.
    const all = Array.from({ length: 200 }, (_, r) => Object.fromEntries(INPUTS.map((k) => [k, entryAt(test.columns.get(k)!, r)])));
    const apps = new Set<unknown>();
    rows = all.filter((r) => !apps.has(r.app_id) && apps.add(r.app_id)).slice(0, 3);
    bad = await poisoned(outcome.model, outcome, rows, 1, 'app_id');
    server = await serveModel(outcome.model, outcome.spec, { port: 0 });
    badServer = await serveModel(bad, outcome.spec, { port: 0, log: (l) => failures.push(l) });
  }, 120_000);

  afterAll(async () => {
    await server?.close();
    await badServer?.close();
    await bad?.release();
    await outcome?.model.release();
  });

  it('a number that overflows float32 once transformed is a 400 naming the row, field and value', async () => {
    const ok = await post(server.url, { rows });
    expect(ok.status).toBe(200);
    for (const age of [1e40, -1e40, 1e300]) {
      const { status, json } = await post(server.url, { rows: [rows[0], { ...rows[1], age }, rows[2]] });
      expect(status).toBe(400);
      expect(json.error).toMatchObject({ code: 'DATA', row: 2, field: 'age' });
      expect(json.error!.message).toContain(String(age));
      expect(json.error!.fix).toBeTruthy();
    }
    // Infinity cannot be written in JSON; 1e400 parses to it and is refused alike.
    const inf = await post(server.url, `{"rows": [{"age": 30}, {"age": 1e400}]}`);
    expect({ status: inf.status, row: inf.json.error?.row, field: inf.json.error?.field }).toEqual({ status: 400, row: 2, field: 'age' });
  });

  it('NaN in a row is no JSON: a 400, and a null is a missing value', async () => {
    const nan = await post(server.url, `{"rows": [{"age": NaN}]}`);
    expect({ status: nan.status, code: nan.json.error?.code }).toEqual({ status: 400, code: 'JSON' });
    // age has no missing strategy in this model: a null age is a bad row, not a null prediction.
    const missing = await post(server.url, { rows: [rows[0], { ...rows[1], age: null }] });
    expect(missing.status).toBe(400);
    expect(missing.json.error).toMatchObject({ row: 2, field: 'age' });
    // A request is scored whole: its fix says what to send, never the training-only `onBadRow: skip`.
    expect(missing.json.error!.fix).toMatch(/send a number for column 'age' in every row/);
    expect(missing.json.error!.fix).not.toMatch(/onBadRow/);
    const huge = await post(server.url, { rows: [{ ...rows[1], age: 1e300 }] });
    expect(huge.json.error).toMatchObject({ row: 1, field: 'age' });
    expect(huge.json.error!.fix).toMatch(/^fix the value in the data, clip the column/);
    expect(huge.json.error!.fix).not.toMatch(/onBadRow/);
  });

  it('a model whose output is NaN answers 500 naming the row, for predictions and explanations', async () => {
    const fine = await post(badServer.url, { rows: [rows[0], rows[2]] });
    expect(fine.status).toBe(200);
    expect((fine.json.predictions as number[]).every(Number.isFinite)).toBe(true);
    for (const explain of [false, true]) {
      const { status, json } = await post(badServer.url, { rows, explain });
      expect(status).toBe(500);
      expect(json.predictions).toBeUndefined();
      expect(json.error).toMatchObject({ code: 'RUNTIME', row: 2 });
      expect(json.error!.message).toMatch(/not finite.*prediction NaN/);
      expect(json.error!.fix).toBeTruthy();
    }
    expect(badServer.counts.serverErrors).toBe(2);
    expect(failures).toHaveLength(2);
    // The server keeps serving.
    expect((await post(badServer.url, { rows: [rows[2]] })).status).toBe(200);
  });

  it('the library refuses the NaN output everywhere it scores: predict, explain, evaluation', async () => {
    const chunk = rowsToChunk(rows, { source: 'rows.jsonl', firstRowNumber: 10 });
    const batch = modelBatchOf(transform(outcome.spec, chunk, { mode: 'serve' }));
    const p = await errorOfAsync(() => bad.predict(batch));
    expect(p.details).toMatchObject({ file: 'rows.jsonl', row: 11 });
    expect((await errorOfAsync(() => explainRows(bad, outcome.spec, batch))).details.row).toBe(11);
    const labeled = modelBatchOf(transform(outcome.spec, rowsToChunk(rows.map((r) => ({ ...r, label: 1 }))), { mode: 'train' }));
    const ev = await errorOfAsync(() => evaluateModel(bad, { batches: [labeled] }));
    expect(ev.code).toBe('RUNTIME');
    expect(ev.details.row).toBe(2);
  });
});
