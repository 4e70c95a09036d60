import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBundle } from '../../src/artifact/bundle.js';
import { type RunningServer, serveBundle, serveModel } from '../../src/serve/server.js';
import { predictionsOf } from '../helpers/bundle-fixture.js';
import { rowsFor, writeVersionOf } from './bundle-versions.js';
import { logLines } from './log-lines.js';

// Issue #15: the Fastify app's routes, metrics, OpenAPI document, admin reload, API key and CORS, on real
// servers on 127.0.0.1 port 0 with a real model (the tiny fixture bundle of bundle-versions.ts).

const JSON_TYPE = { 'content-type': 'application/json' };
const ADMIN = 'admin-token-0123456789abcdef';
const KEY = 'api-key-0123456789abcdef';

function predict(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${url}/predict`, { method: 'POST', headers: { ...JSON_TYPE, ...headers }, body: JSON.stringify(body) });
}

/** One metric's value from the Prometheus text, by name and exact label set ('' for none). */
function metric(text: string, name: string, labels = ''): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('serve: routes, metrics, OpenAPI, admin reload', () => {
  let dir: string;
  let digest: string;
  let server: RunningServer;
  const log = logLines();

  beforeAll(async () => {
    dir = join(mkdtempSync(join(tmpdir(), 'wd-http-')), 'model');
    digest = await writeVersionOf(dir, 0);
    server = await serveBundle(dir, { port: 0, maxRows: 100, adminToken: ADMIN, logger: { stream: log.stream } });
  });

  afterAll(async () => {
    await server?.close();
  });

  it('answers health, ready and metadata with the digest, load time and source of the serving model', async () => {
    expect(await (await fetch(`${server.url}/health`)).json()).toEqual({ status: 'ok' });
    expect(await (await fetch(`${server.url}/ready`)).json()).toEqual({ status: 'ready' });
    const meta = (await (await fetch(`${server.url}/metadata`)).json()) as Record<string, unknown>;
    expect(meta.digest).toBe(digest);
    expect(digest).toMatch(/^sha256:/);
    expect(Number.isNaN(Date.parse(meta.loadedAt as string))).toBe(false);
    expect(meta.source).toContain(dir);
    expect(meta.outputs).toBe(1);
    expect(meta.inputs).toEqual(expect.arrayContaining(['country', 'app_category', 'age']));
  });

  it('scores rows as the library does, names the model in x-model-digest, and echoes x-request-id', async () => {
    const rows = rowsFor(20);
    const res = await predict(server.url, { rows }, { 'x-request-id': 'client-42' });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-model-digest')).toBe(digest);
    expect(res.headers.get('x-request-id')).toBe('client-42');
    const { model, bundle } = await loadBundle(dir);
    try {
      expect(((await res.json()) as { predictions: number[] }).predictions).toEqual(Array.from(await predictionsOf(model, bundle.spec, rows)));
    } finally {
      await model.release();
    }
    // A fresh id when the client sends none, or one unfit for a header or a log.
    for (const id of ['two words', 'x'.repeat(200), '{"level":60}']) {
      const fresh = await fetch(`${server.url}/health`, { headers: { 'x-request-id': id } });
      expect(fresh.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('logs one JSON line per request, with its request id, status and error code', async () => {
    const before = log.lines.length;
    await predict(server.url, { rows: rowsFor(2) }, { 'x-request-id': 'line-1' });
    await predict(server.url, { rows: [] }, { 'x-request-id': 'line-2' });
    const lines = log.lines.slice(before).filter((l) => l.msg === 'request');
    expect(lines.map((l) => [l.reqId, l.statusCode, l.code])).toEqual([
      ['line-1', 200, undefined],
      ['line-2', 400, 'REQUEST'],
    ]);
  });

  it('answers 405 with Allow, 404, and 415 with the fix for a body that is not application/json', async () => {
    const get = await fetch(`${server.url}/predict`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    const post = await fetch(`${server.url}/metadata`, { method: 'POST', headers: JSON_TYPE, body: '{}' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    expect(((await post.json()) as { error: { code: string } }).error.code).toBe('METHOD');
    expect((await fetch(`${server.url}/nowhere`)).status).toBe(404);
    for (const headers of [{}, { 'content-type': 'text/plain' }, { 'content-type': 'application/x-www-form-urlencoded' }]) {
      const res = await fetch(`${server.url}/predict`, { method: 'POST', headers, body: JSON.stringify({ rows: rowsFor(1) }) });
      expect(res.status).toBe(415);
      const { error } = (await res.json()) as { error: { code: string; fix: string } };
      expect(error.code).toBe('MEDIA_TYPE');
      expect(error.fix).toContain('application/json');
    }
    // A charset parameter is still JSON.
    expect((await fetch(`${server.url}/predict`, { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify({ rows: rowsFor(1) }) })).status).toBe(200);
  });

  it('counts requests, errors, rows and batches, and names the model, in /metrics', async () => {
    await predict(server.url, { rows: rowsFor(7) });
    await predict(server.url, { rows: rowsFor(3), topK: 0 });
    const res = await fetch(`${server.url}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(metric(text, 'widedeep_http_requests_total', '{route="/predict",status_code="200"}')).toBeGreaterThanOrEqual(1);
    expect(metric(text, 'widedeep_http_requests_total', '{route="/predict",status_code="400"}')).toBeGreaterThanOrEqual(1);
    expect(metric(text, 'widedeep_http_errors_total', '{code="REQUEST"}')).toBeGreaterThanOrEqual(1);
    expect(metric(text, 'widedeep_rows_scored_total')).toBeGreaterThanOrEqual(7);
    expect(metric(text, 'widedeep_batch_rows_count')).toBeGreaterThanOrEqual(1);
    expect(metric(text, 'widedeep_batch_rows_sum')).toBe(metric(text, 'widedeep_rows_scored_total'));
    expect(metric(text, 'widedeep_http_request_duration_seconds_count', '{route="/predict"}')).toBeGreaterThanOrEqual(2);
    expect(metric(text, 'widedeep_model_info', `{digest="${digest}"}`)).toBe(1);
    expect(metric(text, 'widedeep_model_load_seconds')).toBeGreaterThan(0);
    expect(metric(text, 'process_resident_memory_bytes')).toBeGreaterThan(0);
  });

  it('publishes an OpenAPI 3 document listing every route with its request and response schemas', async () => {
    const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as { openapi: string; paths: Record<string, Record<string, Record<string, unknown>>> };
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths).sort()).toEqual(['/admin/reload', '/health', '/metadata', '/metrics', '/predict', '/ready']);
    const body = (doc.paths['/predict']!.post!.requestBody as { content: Record<string, { schema: { properties: Record<string, unknown>; additionalProperties: boolean } }> }).content['application/json']!.schema;
    expect(Object.keys(body.properties).sort()).toEqual(['explain', 'rows', 'topK']);
    expect(body.additionalProperties).toBe(false);
    expect(body.properties.rows).toMatchObject({ type: 'array', minItems: 1, maxItems: 100 });
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const op of Object.values(methods)) expect(Object.keys(op.responses as object), path).toContain('200');
    }
    const predictOk = (doc.paths['/predict']!.post!.responses as Record<string, { content: Record<string, { schema: { properties: object } }> }>)['200']!;
    expect(Object.keys(predictOk.content['application/json']!.schema.properties)).toEqual(['predictions', 'explanations', 'ignoredColumns']);
  });

  it('reloads on POST /admin/reload with the admin token only, compared in constant time', async () => {
    expect((await fetch(`${server.url}/admin/reload`, { method: 'POST' })).status).toBe(401);
    const wrong = await fetch(`${server.url}/admin/reload`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}x` } });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toBe('Bearer');
    const next = await writeVersionOf(dir, 1);
    const res = await fetch(`${server.url}/admin/reload`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}` } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ digests: [next] });
    expect((await predict(server.url, { rows: rowsFor(1) })).headers.get('x-model-digest')).toBe(next);
    expect(((await (await fetch(`${server.url}/metadata`)).json()) as { digest: string }).digest).toBe(next);
    expect(metric(await (await fetch(`${server.url}/metrics`)).text(), 'widedeep_model_info', `{digest="${digest}"}`)).toBeUndefined();
  });
});

describe('serve: admin route, API key and CORS are off by default', () => {
  let dir: string;
  let plain: RunningServer;
  let guarded: RunningServer;

  beforeAll(async () => {
    dir = join(mkdtempSync(join(tmpdir(), 'wd-http-')), 'model');
    await writeVersionOf(dir, 0);
    plain = await serveBundle(dir, { port: 0 });
    guarded = await serveBundle(dir, { port: 0, apiKey: KEY, corsOrigins: ['https://app.example'] });
  });

  afterAll(async () => {
    await plain?.close();
    await guarded?.close();
  });

  it('has no admin route without a token, and refuses a reload of a model given in memory', async () => {
    expect((await fetch(`${plain.url}/admin/reload`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}` } })).status).toBe(404);
    const { model, bundle } = await loadBundle(dir);
    const memory = await serveModel(model, bundle.spec, { port: 0, adminToken: ADMIN });
    try {
      const res = await fetch(`${memory.url}/admin/reload`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}` } });
      expect(res.status).toBe(409);
      expect(((await res.json()) as { error: { code: string; fix: string } }).error).toMatchObject({ code: 'CONFIG' });
    } finally {
      await memory.close();
      await model.release();
    }
  });

  it('requires the API key (x-api-key or bearer) on data routes, not on the probes', async () => {
    expect((await predict(plain.url, { rows: rowsFor(1) })).status).toBe(200);
    const none = await predict(guarded.url, { rows: rowsFor(1) });
    expect(none.status).toBe(401);
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe('AUTH');
    expect((await predict(guarded.url, { rows: rowsFor(1) }, { 'x-api-key': `${KEY}!` })).status).toBe(401);
    expect((await predict(guarded.url, { rows: rowsFor(1) }, { 'x-api-key': KEY })).status).toBe(200);
    expect((await predict(guarded.url, { rows: rowsFor(1) }, { authorization: `Bearer ${KEY}` })).status).toBe(200);
    expect((await fetch(`${guarded.url}/metadata`)).status).toBe(401);
    expect((await fetch(`${guarded.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${guarded.url}/health`)).status).toBe(200);
    expect((await fetch(`${guarded.url}/ready`)).status).toBe(200);
  });

  it('answers CORS only for the allowed origins', async () => {
    const preflight = (origin: string) => fetch(`${guarded.url}/predict`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-api-key' } });
    const allowed = await preflight('https://app.example');
    expect(allowed.status).toBeLessThan(300);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(allowed.headers.get('access-control-allow-headers')).toContain('x-api-key');
    expect((await preflight('https://evil.example')).headers.get('access-control-allow-origin')).toBeNull();
    const res = await predict(guarded.url, { rows: rowsFor(1) }, { origin: 'https://app.example', 'x-api-key': KEY });
    expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(res.headers.get('access-control-expose-headers')).toContain('x-model-digest');
    // Off by default: no CORS header for any origin.
    expect((await predict(plain.url, { rows: rowsFor(1) }, { origin: 'https://app.example' })).headers.get('access-control-allow-origin')).toBeNull();
  });
});
