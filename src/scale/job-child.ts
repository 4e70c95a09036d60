import { WideDeepError } from '../core/errors.js';
import { type JobContext, JOB_RUNNERS } from './job-runners.js';
import type { JobKind } from './queues.js';

/** The message a job's child process receives. */
export interface ChildRequest {
  readonly kind: JobKind;
  readonly data: unknown;
  readonly ctx: JobContext;
}

/** What it sends back: the result, or the error as data (a WideDeepError keeps its code and details). */
export type ChildReply = { readonly result: unknown } | { readonly error: { readonly code: string; readonly reason: string; readonly message: string; readonly details: Record<string, unknown> } };

function errorData(err: unknown): ChildReply {
  if (err instanceof WideDeepError) return { error: { code: err.code, reason: err.reason, message: err.message, details: { ...err.details } } };
  const message = err instanceof Error ? err.message : String(err);
  return { error: { code: 'INTERNAL', reason: message, message, details: {} } };
}

/**
 * Entry of a job's child process (src/scale/job-process.ts forks it): runs one job and exits. Training keeps
 * its JavaScript thread busy for long stretches; out here, the worker's event loop stays free to renew the
 * job's lock in Redis. The process exits when its parent goes away (kill -9 of the worker), so an orphan does
 * not keep computing a job that BullMQ hands to another worker.
 */
process.on('disconnect', () => process.exit(1));
process.once('message', (msg: ChildRequest) => {
  const run = async (): Promise<ChildReply> => ({ result: await JOB_RUNNERS[msg.kind](msg.data, msg.ctx) });
  void run()
    .catch(errorData)
    .then((reply) => process.send?.(reply, () => process.exit(0)));
});
