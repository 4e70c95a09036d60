import type { MicroBatcher } from '../batcher.js';
import type { ServerControl } from '../cluster.js';
import type { ModelSlot } from '../model-slot.js';
import { HttpError } from './errors.js';
import type { ServeMetrics } from './metrics.js';

/**
 * What the routes of one server process share: the phase it is in (loading the model, ready, draining on
 * close), the model slot and micro-batcher once loaded, its metrics, and the control that reloads and reports
 * metrics for the whole server (this process alone, or a cluster's primary over IPC).
 */
export interface ServeRuntime {
  phase: 'loading' | 'ready' | 'draining';
  slot: ModelSlot | undefined;
  batcher: MicroBatcher | undefined;
  readonly metrics: ServeMetrics;
  control: ServerControl;
  /** Requests answered so far, by status class (the CLI prints them on exit). */
  readonly counts: { ok: number; clientErrors: number; serverErrors: number };
}

/** The control of a single process: its own slot and registry. */
export function localControl(rt: ServeRuntime): ServerControl {
  return {
    reload: async () => {
      if (rt.slot === undefined) throw notReady(rt);
      const { served } = await rt.slot.reload();
      return { digests: [served.digest] };
    },
    metrics: async () => ({ contentType: rt.metrics.registry.contentType, text: await rt.metrics.registry.metrics() }),
  };
}

/** 503 while the model loads or the server drains. */
export function notReady(rt: ServeRuntime): HttpError {
  const draining = rt.phase === 'draining';
  return new HttpError(503, 'NOT_READY', draining ? 'the server is shutting down' : 'the model is still loading', { fix: draining ? 'send the request to another replica' : 'retry in a moment (GET /ready answers 200 once the model is loaded)' }, { 'retry-after': '1' });
}
