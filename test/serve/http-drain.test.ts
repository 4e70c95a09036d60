import { mkdtempSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startServe } from '../helpers/serve-child.js';
import { rowsFor, writeVersionOf } from './bundle-versions.js';

// Issue #15: SIGTERM drains within a bound. The node:http server waited 43 s for one slow client; now requests
// in flight finish, /ready answers 503 meanwhile, and a client still sending its body at the bound is cut.
// A real `widedeep serve` child process, real sockets.

/** A keep-alive connection that sends requests one at a time and reads each answer whole. */
class Conn {
  readonly socket: Socket;
  private buffer = '';
  private wake: (() => void) | null = null;
  closed = false;

  constructor(url: string) {
    this.socket = connect(Number(new URL(url).port), '127.0.0.1');
    this.socket.on('data', (d: Buffer) => {
      this.buffer += d.toString();
      this.wake?.();
    });
    this.socket.on('error', () => undefined);
    this.socket.on('close', () => {
      this.closed = true;
      this.wake?.();
    });
  }

  /** Writes `text`; resolves with the next whole answer's status, headers and body. */
  async send(text: string | Buffer): Promise<{ status: number; headers: string; body: string }> {
    this.socket.write(text);
    return this.answer();
  }

  async answer(): Promise<{ status: number; headers: string; body: string }> {
    for (;;) {
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end >= 0) {
        const headers = this.buffer.slice(0, end);
        const length = Number(/content-length: (\d+)/i.exec(headers)?.[1] ?? 0);
        if (this.buffer.length >= end + 4 + length) {
          const body = this.buffer.slice(end + 4, end + 4 + length);
          this.buffer = this.buffer.slice(end + 4 + length);
          return { status: Number(headers.slice(9, 12)), headers, body };
        }
      }
      if (this.closed) throw new Error(`connection closed before a whole answer: ${JSON.stringify(this.buffer)}`);
      await new Promise<void>((r) => (this.wake = r));
    }
  }
}

function post(length: number): string {
  return `POST /predict HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${length}\r\n\r\n`;
}

describe('serve: bounded SIGTERM drain', () => {
  it('finishes requests in flight, answers /ready 503 while draining, cuts a slow client at the bound, and exits', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'wd-drain-')), 'model');
    await writeVersionOf(dir, 0);
    const server = await startServe(['--model', dir, '--port', '0', '--drain-seconds', '1']);
    const probe = new Conn(server.url);
    expect((await probe.send('GET /ready HTTP/1.1\r\nhost: x\r\n\r\n')).status).toBe(200);

    // Each client makes one request first, so its connection is surely accepted before SIGTERM.
    const inFlight = new Conn(server.url);
    const slow = new Conn(server.url);
    for (const c of [inFlight, slow]) expect((await c.send('GET /health HTTP/1.1\r\nhost: x\r\n\r\n')).status).toBe(200);
    const body = Buffer.from(JSON.stringify({ rows: rowsFor(5) }));
    inFlight.socket.write(post(body.length));
    inFlight.socket.write(body.subarray(0, 20));
    slow.socket.write(post(100_000));
    slow.socket.write('{"rows":[');
    // The slow client sends a byte every 100 ms: 100,000 bytes would take almost 3 hours.
    const drip = setInterval(() => slow.socket.write(' '), 100);

    server.child.kill('SIGTERM');
    let ready = 200;
    while (ready === 200) ready = (await probe.send('GET /ready HTTP/1.1\r\nhost: x\r\n\r\n')).status;
    expect(ready).toBe(503);

    // The request that was in flight at SIGTERM is answered in full.
    inFlight.socket.write(body.subarray(20));
    const answer = await inFlight.answer();
    expect(answer.status).toBe(200);
    expect(answer.headers.toLowerCase()).toContain('connection: close');
    expect((JSON.parse(answer.body) as { predictions: number[] }).predictions).toHaveLength(5);

    expect(await server.exited).toBe(0);
    clearInterval(drip);
    expect(slow.closed).toBe(true);
    expect(server.stderr()).toMatch(/SIGTERM: stopped after \d+ answered/);
  }, 60_000);
});
