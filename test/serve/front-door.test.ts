import { type IncomingMessage, type Server, type ServerResponse, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FrontDoor } from '../../src/serve/http/front.js';

// The bookkeeping every request meets before Fastify (src/serve/http/front.ts), on a real node:http server:
// the request id, the requests in flight and the drain's `connection: close`, and whether a socket is still
// sending a body.

interface Seen {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
}

let server: Server | undefined;

/** A server whose handler (behind `front`) hands each request to `onRequest`. */
async function listen(front: FrontDoor, onRequest: (seen: Seen) => void): Promise<string> {
  server = createServer(front.wrap((req, res) => onRequest({ req, res })));
  await new Promise<void>((ok) => server!.listen(0, '127.0.0.1', ok));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** One request on a connection of its own; resolves with the status and headers once the answer is read. */
function send(url: string, headers: Record<string, string> = {}, body?: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((ok, fail) => {
    const req = request(url, { method: body === undefined ? 'GET' : 'POST', headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => ok({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on('error', fail);
    req.end(body);
  });
}

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((ok) => server?.close(ok));
  server = undefined;
});

describe('serve front door', () => {
  it("keeps a client's plain request id, replaces any other by a UUID, and gives Fastify the same id", async () => {
    const front = new FrontDoor();
    const ids: string[] = [];
    const url = await listen(front, ({ req, res }) => {
      ids.push(front.idOf(req));
      res.end('ok');
    });
    const kept = await send(url, { 'x-request-id': 'client-7' });
    expect(kept.headers['x-request-id']).toBe('client-7');
    const replaced = await send(url, { 'x-request-id': 'two words' });
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const fresh = await send(url);
    expect(fresh.headers['x-request-id']).not.toBe(replaced.headers['x-request-id']);
    expect(ids).toEqual([kept.headers['x-request-id'], replaced.headers['x-request-id'], fresh.headers['x-request-id']]);
  });

  it('marks answers in flight and later ones connection: close once draining, and is idle when they close', async () => {
    const front = new FrontDoor();
    const held: ServerResponse[] = [];
    const url = await listen(front, ({ res }) => void held.push(res));
    const before = send(url, { connection: 'keep-alive' });
    await expect.poll(() => held.length).toBe(1);
    front.drain();
    const after = send(url, { connection: 'keep-alive' });
    await expect.poll(() => held.length).toBe(2);
    let idle = false;
    void front.idle().then(() => (idle = true));
    held[0]!.end('first');
    expect((await before).headers.connection).toBe('close');
    expect(idle).toBe(false);
    held[1]!.end('second');
    expect((await after).headers.connection).toBe('close');
    await expect.poll(() => idle).toBe(true);
  });

  it('answers without draining keep their connection open', async () => {
    const front = new FrontDoor();
    const url = await listen(front, ({ res }) => res.end('ok'));
    expect((await send(url, { connection: 'keep-alive' })).headers.connection).toBe('keep-alive');
    await front.idle();
  });

  it("says whether a socket's request is still sending its body", async () => {
    const front = new FrontDoor();
    const states: boolean[] = [];
    const url = await listen(front, ({ req, res }) => {
      states.push(front.readingBody(req.socket));
      req.resume();
      req.on('end', () => {
        states.push(front.readingBody(req.socket));
        res.end('ok');
      });
    });
    await new Promise<void>((ok, fail) => {
      const req = request(url, { method: 'POST', headers: { 'content-length': '6' }, agent: false }, (res) => {
        res.resume();
        res.on('end', ok);
      });
      req.on('error', fail);
      req.write('abc');
      // The rest of the body comes once the server has seen the request.
      void expect.poll(() => states.length).toBe(1).then(() => req.end('def'), fail);
    });
    expect(states).toEqual([true, false]);
  });
});
