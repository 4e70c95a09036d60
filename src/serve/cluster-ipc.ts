import { type ErrorCode, type ErrorDetails, WideDeepError } from '../core/errors.js';

/**
 * The messages between a `serve --workers N` primary and its workers (node:cluster's IPC channel, JSON), and
 * the one request/reply helper both sides use. A worker starts with `ready`, gets its bundle directory and
 * options in `start`, answers `listening` (or `failed`) once its model serves; then either side may `ask` the
 * other to reload or for its metrics, answered by a `reply` with the same id; `close` drains a worker, which
 * says `closed` with its request counts before it exits.
 */

/** What the two sides ask each other: a worker asks the primary for the whole server, the primary a worker for itself. */
export type Ask = 'reload' | 'metrics';

/** A WideDeepError as it crosses the channel. */
export interface WireError {
  readonly code: ErrorCode;
  readonly reason: string;
  readonly details: ErrorDetails;
}

export interface Counts {
  readonly ok: number;
  readonly clientErrors: number;
  readonly serverErrors: number;
}

export type Message =
  | { readonly t: 'wd:ready' }
  | { readonly t: 'wd:start'; readonly dir: string; readonly options: Record<string, unknown> }
  | { readonly t: 'wd:listening'; readonly url: string }
  | { readonly t: 'wd:failed'; readonly error: WireError }
  | { readonly t: 'wd:ask'; readonly id: number; readonly what: Ask }
  | { readonly t: 'wd:reply'; readonly id: number; readonly value?: unknown; readonly error?: WireError }
  | { readonly t: 'wd:close' }
  | { readonly t: 'wd:closed'; readonly counts: Counts };

/** Whether a value received on the channel is one of ours (the channel also carries node:cluster's own). */
export function isMessage(m: unknown): m is Message {
  return typeof m === 'object' && m !== null && typeof (m as { t?: unknown }).t === 'string' && (m as { t: string }).t.startsWith('wd:');
}

export function toWire(err: unknown): WireError {
  if (err instanceof WideDeepError) return { code: err.code, reason: err.reason, details: err.details };
  return { code: 'INTERNAL', reason: err instanceof Error ? err.message : String(err), details: {} };
}

export function fromWire(e: WireError): WideDeepError {
  return new WideDeepError(e.code, e.reason, e.details);
}

/** Questions sent to the other side, waiting for their replies (by id). */
export class Asker {
  private next = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  /** Sends `what` through `send` and resolves with the reply's value (rejects with its error). */
  ask(send: (m: Message) => void, what: Ask): Promise<unknown> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      try {
        send({ t: 'wd:ask', id, what });
      } catch (err) {
        this.waiting.delete(id);
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  /** Settles the question a reply answers; false when it answers none of ours. */
  settle(m: Message): boolean {
    if (m.t !== 'wd:reply') return false;
    const w = this.waiting.get(m.id);
    if (w === undefined) return false;
    this.waiting.delete(m.id);
    if (m.error !== undefined) w.reject(fromWire(m.error));
    else w.resolve(m.value);
    return true;
  }

  /** Fails every question still waiting (the other side went away). */
  failAll(err: Error): void {
    for (const w of this.waiting.values()) w.reject(err);
    this.waiting.clear();
  }
}

/** Answers an `ask` with what `handle` returns (or throws). */
export async function answer(m: Extract<Message, { t: 'wd:ask' }>, handle: (what: Ask) => Promise<unknown>, send: (m: Message) => void): Promise<void> {
  try {
    send({ t: 'wd:reply', id: m.id, value: await handle(m.what) });
  } catch (err) {
    send({ t: 'wd:reply', id: m.id, error: toWire(err) });
  }
}
