import { mkdtempSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DepthScan } from '../../src/serve/http/json-body.js';
import { type RunningServer, serveBundle } from '../../src/serve/server.js';
import { rowsFor, writeVersionOf } from './bundle-versions.js';

// Issue #15, hardening: each case below is a defect the node:http server had with hostile clients on
// loopback (half-sent bodies never closed, a stack trace per client abort, 500 on a deep body, no 413 before
// the body was read), checked on a real server.

interface Answer {
  readonly text: string;
  readonly status: number;
  readonly closed: boolean;
}

/** Opens a raw connection, writes `parts` (one after another), and resolves with what came back once it closes. */
function raw(url: string, parts: readonly (string | Buffer)[]): { socket: Socket; done: Promise<Answer> } {
  const socket = connect(Number(new URL(url).port), '127.0.0.1');
  let text = '';
  socket.on('data', (d: Buffer) => (text += d.toString()));
  socket.on('error', () => undefined); // a reset while writing: the answer (or its absence) is what is checked
  for (const p of parts) socket.write(p);
  const done = new Promise<Answer>((resolve) => socket.on('close', () => resolve({ text, status: Number(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1] ?? 0), closed: true })));
  return { socket, done };
}

function head(length: number | 'chunked', path = '/predict'): string {
  const size = length === 'chunked' ? 'transfer-encoding: chunked' : `content-length: ${length}`;
  return `POST ${path} HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\n${size}\r\n\r\n`;
}

function bodyOf(a: Answer): { error?: { code: string; message: string } } {
  return JSON.parse(a.text.slice(a.text.indexOf('\r\n\r\n') + 4)) as { error?: { code: string; message: string } };
}

describe('serve hardening', () => {
  let server: RunningServer;
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l !== '') lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });

  beforeAll(async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'wd-harden-')), 'model');
    await writeVersionOf(dir, 0);
    server = await serveBundle(dir, { port: 0, maxBodyBytes: 1 << 20, timeouts: { requestMs: 800, headersMs: 400, keepAliveMs: 300 }, logger: { stream } });
  });

  afterAll(async () => {
    await server?.close();
  });

  it('closes 50 connections with half-sent bodies or headers at the request timeout, answering 408', async () => {
    const before = lines.length;
    const half = Array.from({ length: 40 }, () => raw(server.url, [head(1000), '{"rows":[{"age":']));
    const slowHeaders = Array.from({ length: 10 }, () => raw(server.url, ['POST /predict HTTP/1.1\r\nhost: x\r\n']));
    const answers = await Promise.all([...half, ...slowHeaders].map((c) => c.done));
    expect(answers.every((a) => a.closed)).toBe(true);
    expect(answers.slice(0, 40).map((a) => a.status)).toEqual(Array(40).fill(408));
    expect(bodyOf(answers[0]!).error?.code).toBe('TIMEOUT');
    // One line per cut request, none of them a client abort or an error with a stack.
    const logged = lines.slice(before);
    expect(logged.filter((l) => l.msg === 'client error' && l.code === 'TIMEOUT')).toHaveLength(50);
    expect(logged.filter((l) => l.msg === 'client aborted the request')).toHaveLength(0);
    expect(JSON.stringify(logged)).not.toContain('stack');
  });

  it('closes a keep-alive connection left idle', async () => {
    const c = raw(server.url, ['GET /health HTTP/1.1\r\nhost: x\r\n\r\n']);
    const a = await c.done;
    expect(a.status).toBe(200);
    expect(a.text).toContain('"status":"ok"');
  });

  it('logs a client that goes away mid-body as one line without a stack trace', async () => {
    const before = lines.length;
    const c = raw(server.url, [head(5000).replace('\r\n\r\n', '\r\nx-request-id: gone-1\r\n\r\n'), '{"rows":[{"age":3']);
    await new Promise((r) => setTimeout(r, 100));
    c.socket.destroy();
    await c.done;
    await expect.poll(() => lines.slice(before).filter((l) => l.reqId === 'gone-1').length).toBe(1);
    const mine = lines.slice(before).filter((l) => l.reqId === 'gone-1');
    expect(mine[0]).toMatchObject({ msg: 'client aborted the request', code: 'ABORTED', level: 40 });
    // Node's parser also reports the cut body (HPE_INVALID_EOF_STATE): not a second line, nor an answer.
    expect(lines.slice(before).filter((l) => l.msg === 'client error')).toHaveLength(0);
    expect(JSON.stringify(lines.slice(before))).not.toContain('stack');
    // And the server goes on answering.
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });

  it('answers a body nested 100,000 levels deep with 400 naming the limit, before parsing it', async () => {
    for (const deep of ['['.repeat(100_000) + ']'.repeat(100_000), `{"rows":[${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}]}`]) {
      const res = await fetch(`${server.url}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: deep });
      expect(res.status).toBe(400);
      const { error } = (await res.json()) as { error: { code: string; message: string; fix: string } };
      expect(error.code).toBe('REQUEST');
      expect(error.message).toMatch(/more than 32 levels deep/);
      expect(error.fix).toBeTruthy();
    }
    // Brackets inside strings (escaped quotes included) are text, not nesting.
    const rows = rowsFor(2).map((r) => ({ ...r, note: `"\\${'['.repeat(500)}` }));
    const ok = await fetch(`${server.url}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ rows }) });
    expect(ok.status).toBe(200);
  });

  it('refuses a body over the limit with 413 before reading it', async () => {
    // Content-Length says 1 GB; only the headers are sent: the answer comes without the body.
    const declared = raw(server.url, [head(1 << 30)]);
    const a = await declared.done;
    expect(a.status).toBe(413);
    expect(bodyOf(a).error).toMatchObject({ code: 'TOO_LARGE', message: `request body over ${1 << 20} bytes` });
    // Chunked, no Content-Length: refused once past the limit, with the rest never sent.
    const chunk = Buffer.from(`{"rows":[${'{"age":30},'.repeat(20_000)}`);
    const piece = [`${chunk.length.toString(16)}\r\n`, chunk, '\r\n'];
    const chunked = raw(server.url, [head('chunked'), ...Array.from({ length: 6 }, () => piece).flat()]);
    const b = await chunked.done;
    expect(b.status).toBe(413);
    expect(bodyOf(b).error).toMatchObject({ code: 'TOO_LARGE', message: `request body over ${1 << 20} bytes` });
  });

  it('DepthScan finds the depth of any JSON, however it is split into chunks', () => {
    const depth = (v: unknown): number => (v !== null && typeof v === 'object' ? 1 + Math.max(0, ...Object.values(v as object).map(depth)) : 0);
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), fc.array(fc.nat(), { maxLength: 4 }), (value, cuts) => {
        const bytes = Buffer.from(JSON.stringify(value));
        const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        const fits = (limit: number): boolean => {
          const scan = new DepthScan(limit);
          let from = 0;
          for (const to of [...at, bytes.length]) {
            if (!scan.feed(bytes.subarray(from, to))) return false;
            from = to;
          }
          return true;
        };
        const d = depth(value);
        expect(fits(d)).toBe(true);
        if (d > 0) expect(fits(d - 1)).toBe(false);
      }),
    );
  });
});
