import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveBundle } from '../../src/artifact/bundle.js';
import { entryAt } from '../../src/data/chunk.js';
import type { RowChunk } from '../../src/data/types.js';
import { rowsToChunk } from '../../src/features/rows.js';
import { transform } from '../../src/features/transform.js';
import { explainBatch } from '../../src/model/explain.js';
import { modelBatchOf } from '../../src/model/from-spec.js';
import { serveModel, type ModelServer } from '../../src/serve/server.js';
import { fitRun, type FitOutcome } from '../../src/train/pipeline.js';
import { parseRunConfig } from '../../src/train/run-config.js';
import { runCli } from '../helpers/cli.js';
import { startServe } from '../helpers/serve-child.js';
import { smallConfig } from '../helpers/small-config.js';

/** Rows [from, to) of a chunk as the JSON objects a client would send (NaN as null). */
function jsonRows(chunk: RowChunk, from: number, to: number): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  for (let r = from; r < to; r++) {
    const row: Record<string, unknown> = {};
    for (const [name, values] of chunk.columns) {
      if (name === 'label') continue;
      const v = entryAt(values, r);
      row[name] = typeof v === 'number' && Number.isNaN(v) ? null : v;
    }
    rows.push(row);
  }
  return rows;
}

async function post(url: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${url}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

/** The library's own answer for rows: the serving transform and one predict, no HTTP. */
async function direct(outcome: FitOutcome, rows: Record<string, unknown>[]): Promise<number[]> {
  const batch = modelBatchOf(transform(outcome.spec, rowsToChunk(rows), { mode: 'serve' }));
  return Array.from((await outcome.model.predict(batch)).prediction);
}

describe('widedeep serve (HTTP on loopback)', () => {
  let outcome: FitOutcome;
  let server: ModelServer;
  let rows: Record<string, unknown>[];
  const failures: string[] = [];

  beforeAll(async () => {
    outcome = await fitRun(parseRunConfig(smallConfig({ epochs: 1 })));
    server = await serveModel(outcome.model, outcome.spec, { port: 0, maxRows: 50, maxBodyBytes: 64 << 10, log: (l) => failures.push(l) });
    // The data's own columns, those the model reads: a client may send more (see the ignoredColumns test).
    const inputs = new Set(['age', 'app_category', 'app_id', 'country', 'installed_apps', 'user_id']);
    rows = jsonRows(outcome.data.test, 0, 40).map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => inputs.has(k))));
  }, 120_000);

  afterAll(async () => {
    await server?.close();
    await outcome?.model.release();
  });

  it('answers health and metadata, and scores rows exactly as the library does', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await (await fetch(`${server.url}/health`)).json()).toEqual({ status: 'ok' });
    const meta = (await (await fetch(`${server.url}/metadata`)).json()) as { outputs: number; inputs: string[] };
    expect(meta.outputs).toBe(1);
    expect([...meta.inputs].sort()).toEqual(['age', 'app_category', 'app_id', 'country', 'installed_apps', 'user_id']);

    const { status, json } = await post(server.url, { rows });
    expect(status).toBe(200);
    expect(json.predictions).toEqual(await direct(outcome, rows));
    // One row alone gets the same score as inside a batch.
    const one = await post(server.url, { rows: [rows[7]] });
    expect((one.json.predictions as number[])[0]).toBeCloseTo((json.predictions as number[])[7]!, 6);
  });

  it('explains rows as `predict --explain` does', async () => {
    const { status, json } = await post(server.url, { rows: rows.slice(0, 3), explain: true, topK: 2 });
    expect(status).toBe(200);
    const chunk = rowsToChunk(rows.slice(0, 3));
    const batch = modelBatchOf(transform(outcome.spec, chunk, { mode: 'serve' }));
    expect(json.explanations).toEqual(JSON.parse(JSON.stringify(await explainBatch(outcome.model, outcome.spec, batch, 2, chunk))));
  });

  it('scores concurrent requests each as if alone', async () => {
    // Same-sized batches share the model's input buffers: requests in flight together must not mix.
    const requests = Array.from({ length: 24 }, (_, i) => rows.slice(i, i + 3));
    const alone: Awaited<ReturnType<typeof post>>[] = [];
    for (const r of requests) alone.push(await post(server.url, { rows: r, explain: true }));
    const together = await Promise.all(requests.map((r) => post(server.url, { rows: r, explain: true })));
    for (let i = 0; i < requests.length; i++) {
      expect(together[i]!.status).toBe(200);
      const chunk = rowsToChunk(requests[i]!);
      const batch = modelBatchOf(transform(outcome.spec, chunk, { mode: 'serve' }));
      expect(together[i]!.json.explanations).toEqual(JSON.parse(JSON.stringify(await explainBatch(outcome.model, outcome.spec, batch, 5, chunk))));
      expect(together[i]!.json).toEqual(alone[i]!.json);
    }
  });

  it('ignores keys the model does not read and names them in the answer', async () => {
    const plain = await post(server.url, { rows: rows.slice(0, 2) });
    expect(plain.json.ignoredColumns).toBeUndefined();
    const typo = await post(server.url, { rows: [rows[0], { ...rows[1], countyr: 'x', label: 1 }], explain: true });
    expect(typo.status).toBe(200);
    expect(typo.json.ignoredColumns).toEqual(['countyr']);
    expect((typo.json.explanations as { prediction: number }[]).map((e) => e.prediction)).toEqual(plain.json.predictions);
  });

  it('takes a column no row gives, or a null, as missing', async () => {
    const without = rows.slice(0, 4).map(({ country: _drop, installed_apps: _also, ...rest }) => rest);
    const withNull = rows.slice(0, 4).map((r) => ({ ...r, country: null, installed_apps: null }));
    const a = await post(server.url, { rows: without });
    const b = await post(server.url, { rows: withNull });
    expect(a.status).toBe(200);
    expect(a.json.predictions).toEqual(b.json.predictions);
    expect(a.json.predictions).toEqual(await direct(outcome, withNull));
  });

  it('refuses bad requests with a status and an error naming the row, field and fix, and keeps serving', async () => {
    const before = { ...server.counts };
    const cases: { body: unknown; status: number; code: string; row?: number; field?: string }[] = [
      { body: 'not json', status: 400, code: 'JSON' },
      { body: [rows[0]], status: 400, code: 'REQUEST' },
      { body: { rows: [] }, status: 400, code: 'REQUEST', field: 'rows' },
      { body: { rows: [rows[0]], explain: 'yes' }, status: 400, code: 'REQUEST', field: 'explain' },
      { body: { rows: [rows[0]], top: 3 }, status: 400, code: 'REQUEST', field: 'top' },
      { body: { rows: [rows[0], 7] }, status: 400, code: 'REQUEST', row: 2, field: 'rows' },
      { body: { rows: [rows[0], rows[1], { ...rows[2], age: 'old' }] }, status: 400, code: 'DATA', row: 3, field: 'age' },
      // A number given as a string is named at its own row (it used to turn the column to strings, blamed on row 1).
      { body: { rows: [rows[0], rows[1], { ...rows[2], age: '45' }] }, status: 400, code: 'DATA', row: 3, field: 'age' },
      { body: { rows: Array.from({ length: 51 }, () => rows[0]) }, status: 400, code: 'REQUEST', field: 'rows' },
      { body: { rows: Array.from({ length: 50 }, () => ({ ...rows[0], user_id: 'u'.repeat(2000) })) }, status: 413, code: 'TOO_LARGE' },
    ];
    for (const c of cases) {
      const { status, json } = await post(server.url, c.body);
      const error = json.error as { code: string; message: string; row?: number; field?: string; fix?: string };
      expect({ status, code: error.code }).toEqual({ status: c.status, code: c.code });
      expect(error.message.length).toBeGreaterThan(0);
      if (c.row !== undefined) expect(error.row).toBe(c.row);
      if (c.field !== undefined) expect(error.field).toBe(c.field);
    }
    expect((await fetch(`${server.url}/predict`)).status).toBe(405);
    expect((await fetch(`${server.url}/nowhere`)).status).toBe(404);
    expect((await post(server.url, { rows: rows.slice(0, 2) })).status).toBe(200);
    expect(server.counts.clientErrors - before.clientErrors).toBe(cases.length + 2);
    expect(server.counts.ok - before.ok).toBe(1);
    expect(server.counts.serverErrors).toBe(0);
    expect(failures).toEqual([]);
  });

  it('`widedeep serve` serves a bundle until SIGTERM, then exits cleanly', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'wd-serve-')), 'model');
    const config = parseRunConfig(smallConfig({ epochs: 1 }));
    await saveBundle(dir, { config: config.raw, model: config.model, spec: outcome.spec, seed: config.seed, state: outcome.model.exportState('weights') });
    const { child, url, stderr, exited } = await startServe(['--model', dir, '--port', '0']);
    const { status, json } = await post(url, { rows: rows.slice(0, 5) });
    expect(status).toBe(200);
    expect(json.predictions).toEqual(await direct(outcome, rows.slice(0, 5)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr()).toMatch(/SIGTERM: stopped after 1 answered, 0 refused, 0 failed requests/);
  }, 60_000);

  it('`widedeep serve` refuses bad flags and a port in use with exit code 2 and the fix', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'wd-serve-')), 'model');
    const config = parseRunConfig(smallConfig({ epochs: 1 }));
    await saveBundle(dir, { config: config.raw, model: config.model, spec: outcome.spec, seed: config.seed, state: outcome.model.exportState('weights') });
    const port = new URL(server.url).port;
    const cases: [string[], RegExp][] = [
      [[], /needs --model/],
      [['--model', dir, '--port', '99999'], /--port must be from 0 to 65535/],
      [['--model', dir, '--max-rows', '0'], /--max-rows must be at least 1/],
      [['--model', dir, '--port', port], /cannot listen on 127\.0\.0\.1:\d+: EADDRINUSE.*fix: choose another --port/],
    ];
    const results = await Promise.all(cases.map(([args]) => runCli(['serve', ...args])));
    results.forEach((r, i) => {
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(cases[i]![1]);
    });
  }, 60_000);
});
