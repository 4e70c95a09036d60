import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { latencySummary, load, quantile } from '../../bench/serve-load.js';

describe('quantile (nearest rank)', () => {
  it('is the smallest value with at least q of the values at or below it', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1); // 1..100
    expect(quantile(xs, 0.5)).toBe(50);
    expect(quantile(xs, 0.99)).toBe(99);
    expect(quantile(xs, 1)).toBe(100);
    expect(quantile([7], 0.99)).toBe(7);
    expect(quantile([], 0.5)).toBeNaN();
  });

  it('p99 of 10 latencies is the largest one, not an average of the top two', () => {
    const s = latencySummary([5, 1, 2, 3, 4, 6, 7, 8, 9, 100]);
    expect(s.p99_ms).toBe(100);
    expect(s.p50_ms).toBe(5);
    expect(s.mean_ms).toBeCloseTo(14.5, 10);
  });
});

describe('load: autocannon against a real server', () => {
  let server: Server;
  let url: string;
  let seen = 0;
  const bodies: string[] = [];
  beforeAll(async () => {
    // Answers 200 with one prediction per row, except every 4th request (500): those rows must not count.
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        bodies.push(body);
        const n = (JSON.parse(body) as { rows: unknown[] }).rows.length;
        const status = ++seen % 4 === 0 ? 500 : 200;
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ predictions: new Array(n).fill(0.5) }));
      });
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((ok) => server.close(() => ok())));

  it('sends the bodies in turn and counts the rows and latencies of 2xx answers only', async () => {
    const sent = [JSON.stringify({ rows: [{ a: 1 }, { a: 2 }] }), JSON.stringify({ rows: [{ a: 3 }, { a: 4 }] })];
    const r = await load({ url, bodies: sent, rowsPerRequest: 2, connections: 1, amount: 40 });
    expect(r.requests).toBe(40);
    expect(r.non2xx).toBe(10);
    expect(r.errors).toBe(0);
    expect(new Set(bodies)).toEqual(new Set(sent));
    // rows/s = 2xx answers x rows per request / window: the two agree.
    expect(r.rows_per_s / r.requests_per_s).toBeCloseTo(2, 10);
    expect(r.requests_per_s * r.wall_s).toBeCloseTo(30, 6);
    expect(r.p50_ms).toBeGreaterThan(0);
    expect(r.p99_ms).toBeGreaterThanOrEqual(r.p50_ms);
  });
});
