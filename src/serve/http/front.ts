import { randomUUID } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** A request id from the client is kept when it is a plain token (it goes into logs and a header). */
const REQUEST_ID = /^[\w.:@/+=-]{1,128}$/;

/**
 * What every request meets on arrival, in the node:http server's own request listener, before Fastify sees it
 * (app.ts wraps Fastify's handler with `wrap`):
 *
 * - its id: the client's `x-request-id` when it is a plain token, else a fresh UUID; Fastify takes it as the
 *   request's id (`idOf`, Fastify's genReqId: it is on every log line of the request) and the answer echoes
 *   it in `x-request-id`;
 * - in flight from arrival to the close of its response: `idle()` resolves once none is (drain.ts), and once
 *   `drain()` is called every answer not yet sent carries `connection: close` (keep-alive clients go elsewhere);
 * - the socket's latest request, so that clientErrorHandler can tell a client that closed its side in the
 *   middle of a body (`readingBody`: logged once, by the request it cut) from one that sent no valid HTTP;
 * - then `direct` (direct-predict.ts) answers the plain `POST /predict` itself, and Fastify the rest.
 *
 * Why here and not in Fastify hooks (onRequest and onSend until session 9): each hook is one more step of
 * Fastify's per-request chain, and an onSend hook sends every answer through it; this costs two header writes
 * and a Set entry. With json-body.ts's buffer parser: 45 us less main-thread CPU a 200-candidate request
 * (median of 15 paired runs of bench/serve-handler-case.ts; BENCHMARKS.md "Serving on Fastify").
 */
export class FrontDoor {
  private readonly open = new Set<ServerResponse>();
  private readonly ids = new WeakMap<IncomingMessage, string>();
  private readonly latest = new WeakMap<Socket, IncomingMessage>();
  private waiters: (() => void)[] = [];
  private draining = false;
  /** Takes the requests it can answer itself (direct-predict.ts: true) before Fastify sees them; set by app.ts. */
  direct: ((req: IncomingMessage, res: ServerResponse, id: string) => boolean) | undefined;

  /** Fastify's request handler with the bookkeeping above in front of it. */
  wrap(handler: RequestListener): RequestListener {
    return (req, res) => {
      const given = req.headers['x-request-id'];
      const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
      this.ids.set(req, id);
      this.latest.set(req.socket, req);
      res.setHeader('x-request-id', id);
      if (this.draining) res.setHeader('connection', 'close');
      this.open.add(res);
      res.on('close', () => this.closed(res));
      if (this.direct === undefined || !this.direct(req, res, id)) handler(req, res);
    };
  }

  private closed(res: ServerResponse): void {
    this.open.delete(res);
    if (this.open.size === 0) for (const w of this.waiters.splice(0)) w();
  }

  /** The request's id (Fastify's genReqId). */
  idOf(req: IncomingMessage): string {
    return this.ids.get(req) ?? randomUUID();
  }

  /** Whether a request on `socket` is still receiving its body. */
  readingBody(socket: Socket): boolean {
    const req = this.latest.get(socket);
    return req !== undefined && !req.complete;
  }

  /** From now on every answer not yet sent tells its client to close the connection. */
  drain(): void {
    this.draining = true;
    for (const res of this.open) if (!res.headersSent) res.setHeader('connection', 'close');
  }

  /** Resolves when no request is in flight. */
  idle(): Promise<void> {
    return this.open.size === 0 ? Promise.resolve() : new Promise((resolve) => this.waiters.push(resolve));
  }
}
