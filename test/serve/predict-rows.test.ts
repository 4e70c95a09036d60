import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { predictRows } from '../../src/index.js';
import { rowsToChunk } from '../../src/features/rows.js';
import { transform } from '../../src/features/transform.js';
import { explainBatch } from '../../src/model/explain.js';
import { modelBatchOf } from '../../src/model/from-spec.js';
import { serveModel } from '../../src/serve/server.js';
import { fitRun, type FitOutcome } from '../../src/train/pipeline.js';
import { parseRunConfig } from '../../src/train/run-config.js';
import { errorOfAsync } from '../features/fixtures.js';
import { smallConfig } from '../helpers/small-config.js';

// Issue 16, "The library": one call scores JSON rows as `serve` does.

const ROWS = [
  { age: 31, app_category: 'cat_1', app_id: 'app_3', country: 'c_0', installed_apps: ['app_1', 'app_7'], user_id: 'user_5' },
  { age: 52, app_category: 'cat_4', app_id: 'app_10', country: 'c_2', installed_apps: [], user_id: 'user_9' },
  { age: 24, app_category: 'cat_0', app_id: 'app_1', country: 'c_1', installed_apps: ['app_3'], user_id: 'user_1' },
];

describe('predictRows', () => {
  let outcome: FitOutcome;
  beforeAll(async () => {
    outcome = await fitRun(parseRunConfig(smallConfig({ epochs: 1 })));
  }, 120_000);
  afterAll(async () => {
    await outcome?.model.release();
  });

  it('scores rows as the serving transform and one predict do, and lists no ignored columns when there are none', async () => {
    const direct = await outcome.model.predict(modelBatchOf(transform(outcome.spec, rowsToChunk(ROWS), { mode: 'serve' })));
    const r = await predictRows(outcome.model, outcome.spec, ROWS);
    expect(r).toEqual({ predictions: Array.from(direct.prediction) });
  });

  it('reads a column a row leaves out as missing, like null, and reports keys no feature reads', async () => {
    const { country: _left, ...partial } = ROWS[0]!;
    const left = await predictRows(outcome.model, outcome.spec, [{ ...partial, contry: 'c_0', label: 1 }]);
    const asNull = await predictRows(outcome.model, outcome.spec, [{ ...partial, country: null }]);
    expect(left.predictions).toEqual(asNull.predictions);
    // The label column is no input but is not reported: clients send whole records.
    expect(left.ignoredColumns).toEqual(['contry']);
    expect(asNull.ignoredColumns).toBeUndefined();
  });

  it('explains rows with the top k terms, as explainBatch does', async () => {
    const r = await predictRows(outcome.model, outcome.spec, ROWS, { explain: true, topK: 2 });
    const chunk = rowsToChunk(ROWS);
    const batch = modelBatchOf(transform(outcome.spec, chunk, { mode: 'serve' }));
    expect(r.explanations).toEqual(await explainBatch(outcome.model, outcome.spec, batch, 2, chunk));
    expect((r.explanations[0] as unknown as { top: unknown[] }).top.length).toBeLessThanOrEqual(2);
  });

  it('refuses a bad row with an error naming its row and field, scoring none', async () => {
    const e = await errorOfAsync(() => predictRows(outcome.model, outcome.spec, [ROWS[0], { ...ROWS[1], age: 'forty' }]));
    expect(e.code).toBe('DATA');
    expect(e.details.row).toBe(2);
    expect(e.details.field).toBe('age');
    const notObject = await errorOfAsync(() => predictRows(outcome.model, outcome.spec, [ROWS[0], ROWS[1], 7]));
    expect(notObject.details.row).toBe(3);
  });

  it('is what serve answers', async () => {
    const server = await serveModel(outcome.model, outcome.spec, { port: 0 });
    try {
      const rows = [...ROWS, { ...ROWS[0], extra: 1 }];
      const res = await fetch(`${server.url}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ rows, explain: true, topK: 3 }) });
      expect(await res.json()).toEqual(JSON.parse(JSON.stringify(await predictRows(outcome.model, outcome.spec, rows, { explain: true, topK: 3 }))));
    } finally {
      await server.close();
    }
  });
});
