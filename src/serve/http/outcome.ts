import type { Socket } from 'node:net';
import type { FastifyBaseLogger } from 'fastify';
import { ABORTED, type HttpError } from './errors.js';
import type { ServeRuntime } from './runtime.js';

/**
 * How a request ends, in one place for both ways a request is answered: Fastify's routes (app.ts: the error
 * handler and the onResponse hook) and the direct `POST /predict` path (direct-predict.ts). A failure is
 * counted by its code, a server failure's stack goes to the `log` callback, a client that went away is one
 * warning line and no answer; every answered request is one `request` log line (with its request id: `log` is
 * the request's logger) and its metrics.
 */

/** The request as the log and the metrics see it. */
export interface RequestFacts {
  readonly method: string;
  readonly url: string;
  readonly socket: Socket;
  /** The request's logger: its lines carry the request id (`reqId`). */
  readonly log: FastifyBaseLogger;
}

export interface Failure {
  readonly error: HttpError;
  readonly cause: unknown;
}

/**
 * Counts and logs a failure; false when it is not to be answered (the client went away: one line, no stack;
 * a request the request timeout cut was already counted and logged by clientErrorHandler).
 */
export function settleFailure(rt: ServeRuntime, timedOut: WeakSet<Socket>, facts: RequestFacts, failure: Failure, log?: (line: string) => void): boolean {
  const e = failure.error;
  if (e.code === ABORTED) {
    if (timedOut.has(facts.socket)) return false;
    rt.metrics.error(ABORTED);
    facts.log.warn({ method: facts.method, url: facts.url, code: ABORTED }, 'client aborted the request');
    return false;
  }
  rt.metrics.error(e.code);
  if (e.status >= 500) {
    const cause = failure.cause instanceof Error ? (failure.cause.stack ?? failure.cause.message) : String(failure.cause);
    log?.(`widedeep serve: ${facts.method} ${facts.url}: ${cause}`);
  }
  return true;
}

/** One log line and the metrics of an answered request (`route`: the route's path, or 'unmatched'). */
export function recordAnswer(rt: ServeRuntime, facts: RequestFacts, route: string, status: number, ms: number, failure: Failure | undefined): void {
  if (failure?.error.code === ABORTED) return;
  rt.metrics.request(route, status, ms / 1000);
  if (status < 400) rt.counts.ok += 1;
  else if (status < 500) rt.counts.clientErrors += 1;
  else rt.counts.serverErrors += 1;
  const line = { method: facts.method, url: facts.url, statusCode: status, ms: Math.round(ms * 100) / 100, ...(failure !== undefined ? { code: failure.error.code } : {}) };
  if (status >= 500) facts.log.error({ ...line, err: failure?.cause }, 'request');
  else facts.log.info(line, 'request');
}
