import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { HttpError, errorBody } from './errors.js';
import type { ServeMetrics } from './metrics.js';

/**
 * Errors Node's HTTP parser meets before there is a request to answer: a request or its headers not received
 * within the timeouts (408), headers too large (431), bytes that are no HTTP (400). They are answered in the
 * server's error shape on the raw socket, which is then closed, and logged as one line (`client error`); the
 * sockets that timed out are remembered so that the request they cut is not logged a second time as a client
 * abort. A client that closes its side in the middle of a body is logged once, by the request it cut.
 */
export function clientErrorHandler(metrics: ServeMetrics, sockets: { readonly timedOut: WeakSet<Socket>; readingBody(socket: Socket): boolean }) {
  const { timedOut } = sockets;
  return function (this: FastifyInstance, err: NodeJS.ErrnoException, socket: Socket): void {
    // A connection reset: the socket is gone, there is nobody to answer.
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    // The client closed its side in the middle of a body: the request's own line says so (client aborted).
    if (err.code === 'HPE_INVALID_EOF_STATE' && sockets.readingBody(socket)) return void socket.destroy();
    const e =
      err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? new HttpError(408, 'TIMEOUT', 'the request was not received within the server timeout', { fix: 'send the whole request at once; a slow client is cut after the request timeout' })
        : err.code === 'HPE_HEADER_OVERFLOW'
          ? new HttpError(431, 'HEADERS', 'the request headers are too large', { fix: 'send smaller headers (16 KiB in all)' })
          : new HttpError(400, 'HTTP', 'the request is not valid HTTP/1.1', { fix: 'send an HTTP/1.1 request' });
    if (e.status === 408) timedOut.add(socket);
    metrics.error(e.code);
    this.log.info({ code: e.code, statusCode: e.status, reason: err.code }, 'client error');
    if (socket.writable) {
      const body = JSON.stringify(errorBody(e));
      socket.write(`HTTP/1.1 ${e.status} ${STATUS_CODES[e.status]}\r\nconnection: close\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    }
    socket.destroy();
  };
}
