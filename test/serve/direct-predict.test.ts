import { mkdtempSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ServerControl } from '../../src/serve/cluster.js';
import { directPredict } from '../../src/serve/http/direct-predict.js';
import { FrontDoor } from '../../src/serve/http/front.js';
import { ServeMetrics } from '../../src/serve/http/metrics.js';
import type { ServeRuntime } from '../../src/serve/http/runtime.js';
import { type RunningServer, serveBundle } from '../../src/serve/server.js';
import { rowsFor, writeVersionOf } from './bundle-versions.js';
import { logLines } from './log-lines.js';

// The plain POST /predict is answered before Fastify (src/serve/http/direct-predict.ts). Two checks: its answers
// and log lines are the Fastify route's (the same request sent as `/predict?via=fastify` takes the route), and it
// takes only the requests it should (a real node:http server behind the front door, Fastify's place taken by a
// handler that answers 299).

/** Status, JSON body and the headers a client reads of one answer (date and the connection's own left out). */
async function answerOf(res: Response): Promise<{ status: number; body: unknown; headers: Record<string, string> }> {
  const headers: Record<string, string> = {};
  res.headers.forEach((v, k) => {
    if (k !== 'date' && k !== 'keep-alive' && k !== 'x-request-id') headers[k] = v;
  });
  return { status: res.status, body: await res.json(), headers };
}

describe('serve: the direct POST /predict', () => {
  let server: RunningServer;
  const log = logLines();

  beforeAll(async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'wd-direct-')), 'model');
    await writeVersionOf(dir, 0);
    server = await serveBundle(dir, { port: 0, maxRows: 20, logger: { stream: log.stream } });
  });

  afterAll(async () => {
    await server?.close();
  });

  it('answers every kind of body as the Fastify route does, with the same log line', async () => {
    const bad = rowsFor(3);
    bad[1] = { ...bad[1], age: { years: 3 } };
    const bodies = [
      JSON.stringify({ rows: rowsFor(3) }),
      JSON.stringify({ rows: rowsFor(2), explain: true, topK: 2 }),
      JSON.stringify({ rows: rowsFor(1), color: 'red' }),
      JSON.stringify({ rows: bad }),
      JSON.stringify({ rows: [] }),
      JSON.stringify({ rows: [1] }),
      JSON.stringify({ rows: rowsFor(21) }),
      JSON.stringify({ rows: rowsFor(1), topK: 0 }),
      JSON.stringify([{ rows: rowsFor(1) }]),
      '{"rows": [',
      `{"rows":[${'['.repeat(40)}${']'.repeat(40)}]}`,
      // Read straight into columns (features/json-rows.ts): pretty-printed; a key no feature reads and columns left out.
      JSON.stringify({ rows: rowsFor(3) }, null, 2),
      JSON.stringify({ rows: [{ country: 'cty01', colour: 'red' }, { colour: 'blue', age: 40 }] }),
      // Read, then refused by the spec (a number column holding text): the general path words the error.
      JSON.stringify({ rows: [...rowsFor(2), { ...rowsFor(1)[0], age: 'old' }] }),
      // Left to the general path by the reader: an escape; more distinct keys than the model's inputs + 1024.
      '{"rows":[{"country":"cty\\u0030","age":20}]}',
      JSON.stringify({ rows: Array.from({ length: 20 }, (_, r) => Object.fromEntries(Array.from({ length: 60 }, (_, k) => [`k${r}_${k}`, 1]))) }),
    ];
    for (const [i, body] of bodies.entries()) {
      const send = (path: string, id: string) => fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': id }, body });
      const direct = await answerOf(await send('/predict', `direct-${i}`));
      const routed = await answerOf(await send('/predict?via=fastify', `routed-${i}`));
      expect(direct, body.slice(0, 60)).toEqual(routed);
    }
    // Every kind of answer came up: a success, an explanation, refusals by the schema, the rows, the parser and the depth scan.
    await expect.poll(() => log.lines.filter((l) => l.msg === 'request' && String(l.reqId).startsWith('routed-')).length).toBe(bodies.length);
    const lineOf = (id: string) => {
      const { time: _t, ms: _m, reqId: _r, url: _u, ...rest } = log.lines.find((l) => l.msg === 'request' && l.reqId === id)!;
      return rest;
    };
    for (let i = 0; i < bodies.length; i++) expect(lineOf(`direct-${i}`)).toEqual(lineOf(`routed-${i}`));
    expect(new Set(bodies.map((_, i) => lineOf(`direct-${i}`).statusCode))).toEqual(new Set([200, 400]));
  });
});

describe('serve: how the direct POST /predict reads a body', () => {
  it('reads a plain body straight into columns and any other by JSON.parse, as widedeep_predict_bodies_total counts', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'wd-direct-')), 'model');
    await writeVersionOf(dir, 0);
    const server = await serveBundle(dir, { port: 0, logger: false });
    try {
      const post = async (path: string, body: string) => {
        const res = await fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        await res.arrayBuffer();
        expect(res.status, body).toBe(200);
      };
      await post('/predict', JSON.stringify({ rows: rowsFor(3) }));
      await post('/predict', JSON.stringify({ rows: rowsFor(2) }, null, 1));
      await post('/predict', '{"rows":[{"country":"cty\\u0030","age":20}]}');
      await post('/predict?via=fastify', JSON.stringify({ rows: rowsFor(1) }));
      // Rows with keys of their own: refused past the model's inputs + MAX_OTHER_KEYS (each key would become a
      // column of every row), by either path, naming the row.
      const many = JSON.stringify({ rows: Array.from({ length: 30 }, (_, r) => Object.fromEntries(Array.from({ length: 40 }, (_, k) => [`k${r}_${k}`, 1]))) });
      for (const path of ['/predict', '/predict?via=fastify']) {
        const res = await fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: many });
        expect(res.status).toBe(400);
        expect(((await res.json()) as { error: { message: string; row: number } }).error).toMatchObject({ message: expect.stringMatching(/more than \d+ distinct keys/), row: 26 });
      }
      const text = await server.registry.metrics();
      expect(text).toMatch(/^widedeep_predict_bodies_total\{reader="columns"\} 2$/m);
      expect(text).toMatch(/^widedeep_predict_bodies_total\{reader="json"\} 4$/m);
    } finally {
      await server.close();
    }
  });
});

describe('serve: which requests the direct path takes', () => {
  let http: Server | undefined;

  afterEach(async () => {
    http?.closeAllConnections();
    await new Promise((ok) => http?.close(ok));
    http = undefined;
  });

  /** A front door with the direct path over a runtime without a model (its answers: 503 NOT_READY), Fastify's place taken by 299. */
  async function listen(phase: ServeRuntime['phase']): Promise<string> {
    const rt: ServeRuntime = { phase, slot: undefined, batcher: undefined, metrics: new ServeMetrics(), control: {} as ServerControl, counts: { ok: 0, clientErrors: 0, serverErrors: 0 } };
    const front = new FrontDoor();
    const validate = Object.assign((_: unknown) => true, { errors: null });
    front.direct = directPredict({ rt, maxRows: 10, maxDepth: 32, maxBytes: 1000, validate, timedOut: new WeakSet(), logger: pino({ level: 'silent' }) });
    http = createServer(front.wrap((_req, res) => res.writeHead(299).end('{}')));
    await new Promise<void>((ok) => http!.listen(0, '127.0.0.1', ok));
    return `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  }

  const body = JSON.stringify({ rows: rowsFor(1) });
  const post = (url: string, headers: Record<string, string>, data: string | ReadableStream = body) => fetch(url, { method: 'POST', headers, body: data, duplex: 'half' } as RequestInit).then((r) => r.status);

  it('takes a plain JSON POST /predict with a Content-Length within its limit, and leaves the rest to Fastify', async () => {
    const url = await listen('ready');
    expect(await post(`${url}/predict`, { 'content-type': 'application/json' })).toBe(503);
    expect(await post(`${url}/predict`, { 'content-type': 'Application/JSON; charset=utf-8' })).toBe(503);
    expect(await post(`${url}/predict?x=1`, { 'content-type': 'application/json' })).toBe(299);
    expect(await post(`${url}/predict/`, { 'content-type': 'application/json' })).toBe(299);
    expect(await post(`${url}/predict`, { 'content-type': 'text/plain' })).toBe(299);
    expect(await post(`${url}/predict`, { 'content-type': 'application/jsonx' })).toBe(299);
    expect(await post(`${url}/predict`, {})).toBe(299);
    expect(await post(`${url}/predict`, { 'content-type': 'application/json' }, '')).toBe(299);
    expect(await post(`${url}/predict`, { 'content-type': 'application/json' }, 'x'.repeat(1001))).toBe(299);
    // Chunked: no Content-Length, so the body budget and the limit are Fastify's.
    const stream = new ReadableStream({ start: (c) => (c.enqueue(new TextEncoder().encode(body)), c.close()) });
    expect(await post(`${url}/predict`, { 'content-type': 'application/json' }, stream)).toBe(299);
    expect((await fetch(`${url}/predict`)).status).toBe(299);
  });

  it('leaves every request to Fastify while the model loads', async () => {
    const url = await listen('loading');
    expect(await post(`${url}/predict`, { 'content-type': 'application/json' })).toBe(299);
  });
});
