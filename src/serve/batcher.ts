import { WideDeepError } from '../core/errors.js';
import type { FittedSpec } from '../features/fitted-spec.js';
import { concatModelBatches } from '../model/from-spec.js';
import type { ModelLease, ModelSlot } from './model-slot.js';
import type { RowExplanations, RowPredictions } from './predict-rows.js';
import { answerOf, explanationsOf, type PreparedRows, prepareRows, type RequestRows } from './request-batch.js';
import type { BatchOptions } from './defaults.js';

/**
 * Micro-batching for `widedeep serve` (issue #15): concurrent /predict requests are scored in one model call.
 * Each request is transformed on its own when it arrives (a bad row fails that request alone, named by its
 * row within the request, while the model may be busy with the batch before); requests queued together are
 * concatenated, scored by one `model.predict` under one lease, and each gets its own slice of the outputs.
 *
 * When a batch starts: at once when the queue holds `maxRows` rows; else `maxWaitMs` after the first request
 * came to an idle batcher (0: on the next turn of the event loop, so only requests already read join); and
 * whenever the model finishes a batch, with everything that queued while it ran. So with `maxWaitMs` 0 a
 * lone request waits for nothing, and under load the batches grow with the model's own run time. A request of
 * more than `maxRows` rows is scored alone, whole (the server's own row limit bounds it).
 *
 * A batch whose model call fails (a NaN or infinite output for one of its rows, see
 * src/model/finite-output.ts) is scored again request by request, so the error goes only to the request
 * holding that row, with that request's row number, exactly as predictRows would throw it.
 *
 * Explanations are scored alone, one request per call (explainRows under a lease): they are a debugging
 * answer, many times larger than a score, and their wide terms need the request's own rows.
 */

export interface ScoreRequest {
  readonly rows: RequestRows;
  readonly explain: boolean;
  readonly topK: number;
}

export interface Scored {
  readonly body: RowPredictions | RowExplanations;
  /** The digest of the model that scored the request. */
  readonly digest: string;
  /** Rows in the model call that scored it (this request's and those it was coalesced with). */
  readonly batchRows: number;
}

/** One model call: its rows, the requests coalesced in it, and its seconds (concatenation, predict, slicing). */
export interface BatchStats {
  readonly rows: number;
  readonly requests: number;
  readonly seconds: number;
}

/** A queued request, transformed with `spec` (transformed again when a reload changed the spec). */
interface Pending {
  readonly rows: RequestRows;
  spec: FittedSpec;
  prepared: PreparedRows;
  readonly resolve: (s: Scored) => void;
  readonly reject: (err: unknown) => void;
}

const SOURCE = 'request';

export class MicroBatcher {
  private readonly queue: Pending[] = [];
  private queuedRows = 0;
  private running: Promise<void> | null = null;
  private timer: NodeJS.Timeout | NodeJS.Immediate | null = null;
  /** The wait of the queue's first request ended (or there is none): the next batch may start. */
  private due = false;
  private closed = false;
  private readonly solo = new Set<Promise<unknown>>();

  constructor(
    private readonly slot: ModelSlot,
    private readonly options: BatchOptions & { readonly onBatch?: (s: BatchStats) => void },
  ) {
    if (!(options.maxRows >= 1) || !(options.maxWaitMs >= 0)) {
      throw new WideDeepError('CONFIG', `batch limits must be maxRows >= 1 and maxWaitMs >= 0, got ${options.maxRows} and ${options.maxWaitMs}`, { field: 'batch', fix: 'pass --batch-max-rows 1 or more and --batch-wait-ms 0 or more' });
    }
  }

  /**
   * Scores one request's rows; coalesced with concurrent requests into one model call. Errors are
   * WideDeepErrors exactly as predictRows throws them (row numbers within THIS request).
   */
  score(request: ScoreRequest): Promise<Scored> {
    if (this.closed) return Promise.reject(new WideDeepError('INTERNAL', 'the batcher is closed: the server is shutting down'));
    if (request.explain) return this.track(this.explain(request));
    const spec = this.slot.current().spec;
    let prepared: PreparedRows;
    try {
      prepared = prepareRows(spec, request.rows, SOURCE);
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise<Scored>((resolve, reject) => {
      this.queue.push({ rows: request.rows, spec, prepared, resolve, reject });
      this.queuedRows += prepared.batch.size;
      this.schedule();
    });
  }

  /** Waits for the queued requests and explanations to be answered. */
  async close(): Promise<void> {
    this.closed = true;
    this.due = true;
    this.pump();
    while (this.running !== null || this.solo.size > 0) await Promise.allSettled([this.running, ...this.solo]);
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.solo.add(p);
    const forget = () => this.solo.delete(p);
    p.then(forget, forget);
    return p;
  }

  private async explain(request: ScoreRequest): Promise<Scored> {
    const lease = this.slot.acquire();
    try {
      const { model, spec, digest } = lease.served;
      const prepared = prepareRows(spec, request.rows, SOURCE);
      return { body: await explanationsOf(model, spec, prepared, request.topK), digest, batchRows: prepared.batch.size };
    } finally {
      lease.release();
    }
  }

  /** Starts the wait of a new queue, or the batch at once when the queue is full. */
  private schedule(): void {
    if (this.queuedRows >= this.options.maxRows) this.due = true;
    else if (this.timer === null && !this.due && this.queue.length === 1) {
      const fire = () => {
        this.timer = null;
        this.due = true;
        this.pump();
      };
      this.timer = this.options.maxWaitMs > 0 ? setTimeout(fire, this.options.maxWaitMs) : setImmediate(fire);
    }
    this.pump();
  }

  /** Runs the next batch when the model is free and the queue is due; each finished batch pumps again. */
  private pump(): void {
    if (this.running !== null || !this.due || this.queue.length === 0) return;
    const batch = this.take();
    this.running = this.run(batch).finally(() => {
      this.running = null;
      // What queued while the model ran has waited long enough.
      this.due = this.queue.length > 0;
      this.pump();
    });
  }

  /** The queue's first requests, up to maxRows rows (at least one request). */
  private take(): Pending[] {
    let rows = 0;
    let n = 0;
    while (n < this.queue.length) {
      const size = (this.queue[n] as Pending).prepared.batch.size;
      if (n > 0 && rows + size > this.options.maxRows) break;
      rows += size;
      n += 1;
    }
    this.queuedRows -= rows;
    if (this.timer !== null && n === this.queue.length) this.clearTimer();
    return this.queue.splice(0, n);
  }

  private clearTimer(): void {
    const t = this.timer;
    this.timer = null;
    if (t === null) return;
    if (this.options.maxWaitMs > 0) clearTimeout(t as NodeJS.Timeout);
    else clearImmediate(t as NodeJS.Immediate);
  }

  private async run(batch: Pending[]): Promise<void> {
    let lease: ModelLease | undefined;
    try {
      lease = this.slot.acquire();
      const held = lease;
      const ready = batch.filter((p) => this.transformFor(p, held));
      if (ready.length > 0) await this.scoreTogether(ready, held);
    } catch (err) {
      // Not a request's own error (those are answered above): every request of the batch hears it; the
      // ones already answered ignore a second settlement.
      for (const p of batch) p.reject(err);
    } finally {
      lease?.release();
    }
  }

  /** Transforms a request again when a reload swapped in a model of another spec; false when it fails. */
  private transformFor(p: Pending, lease: ModelLease): boolean {
    const spec = lease.served.spec;
    if (p.spec === spec) return true;
    try {
      p.prepared = prepareRows(spec, p.rows, SOURCE);
      p.spec = spec;
      return true;
    } catch (err) {
      p.reject(err);
      return false;
    }
  }

  private async scoreTogether(batch: Pending[], lease: ModelLease): Promise<void> {
    const { model, digest } = lease.served;
    const start = performance.now();
    const rows = batch.reduce((n, p) => n + p.prepared.batch.size, 0);
    const joined = batch.length === 1 ? (batch[0] as Pending).prepared.batch : concatModelBatches(batch.map((p) => p.prepared.batch));
    let prediction: Float32Array;
    try {
      prediction = (await model.predict(joined)).prediction;
    } catch (err) {
      if (batch.length === 1) (batch[0] as Pending).reject(err);
      // One request's row (a non-finite output) fails the joint call: each request alone gets its own answer.
      else await Promise.all(batch.map((p) => this.scoreTogether([p], lease)));
      return;
    }
    let at = 0;
    for (const p of batch) {
      p.resolve({ body: answerOf(p.prepared, prediction, at, model.outputs), digest, batchRows: rows });
      at += p.prepared.batch.size;
    }
    this.options.onBatch?.({ rows, requests: batch.length, seconds: (performance.now() - start) / 1000 });
  }
}
