import { WideDeepError } from '../core/errors.js';
import type { FittedSpec } from '../features/fitted-spec.js';
import type { BadRowPolicy } from '../features/resolved.js';
import type { GroupRates, WideDeepModel } from '../model/wide-deep.js';
import { lowerRatesFix } from '../train/divergence.js';
import type { RunConfig } from '../train/run-config.js';
import { lrAt } from '../train/schedules.js';
import { decodeEvents, eventPlace } from './event-batch.js';
import { type EventSource, type StreamEvent, advance } from './event-source.js';
import { EMPTY_LEDGER, recordEvents } from './ledger.js';
import { type StreamProgress, publishModel, saveCheckpoint } from './stream-checkpoint.js';

/** When to checkpoint, publish and stop (absent: never by that rule). */
export interface StreamSchedule {
  readonly checkpointEveryEvents?: number;
  readonly checkpointEverySeconds?: number;
  readonly publishEveryEvents?: number;
  readonly publishEverySeconds?: number;
  /** Stop after this many events read by this process. */
  readonly maxEvents?: number;
  /** Stop once no event has come for this long (with nothing left to train). */
  readonly idleExitSeconds?: number;
  /** How long a partial mini-batch waits for more events before it trains as it is. Default 500 ms. */
  readonly lingerMs?: number;
}

/** A progress report (about every `progressMs`). */
export interface StreamStatus {
  readonly events: number;
  readonly eventsPerSec: number;
  readonly lag: number | null;
  readonly loss: number;
  readonly steps: number;
  readonly skipped: number;
  readonly checkpoints: number;
  readonly publishes: number;
  readonly lastPublishMs: number | null;
}

export interface ContinuousTrainerOptions {
  readonly config: RunConfig;
  readonly spec: FittedSpec;
  readonly model: WideDeepModel;
  readonly source: EventSource;
  /** The run's checkpointed progress (a restart), else null: from the beginning of the log. */
  readonly resume: StreamProgress | null;
  readonly sourceUrl: string;
  readonly outDir: string;
  readonly schedule: StreamSchedule;
  /** The event field whose numeric value the ledger sums (default `id`). */
  readonly idField?: string;
  /** Overrides the spec's onBadRow. */
  readonly onBadRow?: BadRowPolicy;
  /** Set to stop: the batch in hand trains, a checkpoint and a publish follow, and `run` returns. */
  readonly signal?: AbortSignal;
  readonly log: (line: string) => void;
  readonly onStatus?: (s: StreamStatus) => void;
  readonly progressMs?: number;
}

/** What a finished run did. */
export interface StreamRunResult extends StreamStatus {
  readonly progress: StreamProgress;
  readonly seconds: number;
}

const POLL_MS = 500;

/**
 * Continuous training: reads events from `source` from the checkpoint's positions, trains them in
 * mini-batches of `train.batchSize` events with the very step batch training takes (`model.trainStep`: the
 * wide part by FTRL, embeddings and the deep part by their optimizers, the rates of `train.schedule` at the
 * model's step count), and commits checkpoints (model + positions + ledger as one unit) and published
 * bundles on the schedule. A mini-batch is always whole events in log order, full unless the log goes quiet
 * for `lingerMs`; so over events already in the log, one pass gives the same batches as a 1-epoch fit over
 * them in that order, and the same model.
 *
 * A publish always follows a checkpoint of the same state, so a served model never holds events that a
 * restart would train again.
 */
export class ContinuousTrainer {
  private readonly positions: Record<string, number>;
  private progress: StreamProgress;
  private readonly t0 = performance.now();
  private eventsRead = 0;
  private lossSum = 0;
  private lossRows = 0;
  private checkpoints = 0;
  private publishes = 0;
  private lastPublishMs: number | null = null;
  private newestEventMs: number | null = null;
  private sinceCheckpoint = { events: 0, at: performance.now() };
  private sincePublish = { events: 0, at: performance.now() };
  /** Whether `<out>/model` holds every checkpointed event (after a restart it may not: a kill between the two saves). */
  private published: boolean;

  constructor(private readonly o: ContinuousTrainerOptions) {
    this.published = o.resume === null;
    this.positions = { ...(o.resume?.positions ?? {}) };
    this.progress = { source: o.sourceUrl, positions: { ...this.positions }, ledger: o.resume?.ledger ?? EMPTY_LEDGER };
  }

  /** Reads and trains until the signal, --max-events or --idle-exit-seconds; then checkpoints, publishes and closes the source. */
  async run(): Promise<StreamRunResult> {
    const { source, schedule } = this.o;
    const batchSize = this.o.config.train.batchSize;
    let pending: StreamEvent[] = [];
    let lastEventAt = performance.now();
    let lastStatus = performance.now();
    try {
      await source.connect(this.o.resume?.positions ?? null);
      for (;;) {
        const left = schedule.maxEvents !== undefined ? schedule.maxEvents - this.eventsRead - pending.length : Infinity;
        const stopping = this.o.signal?.aborted === true || left <= 0;
        const got = stopping ? [] : await source.next(Math.min(batchSize - pending.length, left), pending.length > 0 ? (schedule.lingerMs ?? 500) : POLL_MS);
        if (got.length > 0) lastEventAt = performance.now();
        pending.push(...got);
        if (pending.length > 0 && (pending.length >= batchSize || got.length === 0 || left - got.length <= 0)) {
          await this.train(pending);
          pending = [];
        }
        await this.maybeSave(false);
        if (this.o.onStatus && performance.now() - lastStatus > (this.o.progressMs ?? 2000)) {
          lastStatus = performance.now();
          this.o.onStatus(this.status());
        }
        if (stopping && pending.length === 0) break;
        const idle = schedule.idleExitSeconds;
        if (idle !== undefined && pending.length === 0 && got.length === 0 && performance.now() - lastEventAt > idle * 1000) break;
      }
      await this.maybeSave(true);
    } finally {
      await source.close();
    }
    return { ...this.status(), progress: this.progress, seconds: (performance.now() - this.t0) / 1000 };
  }

  /** One mini-batch: decode (bad events skipped or stopping the run), one training step, the positions and the ledger. */
  private async train(events: readonly StreamEvent[]): Promise<void> {
    const model = this.o.model;
    const decoded = decodeEvents(this.o.spec, events, this.o.onBadRow ?? this.o.spec.onBadRow, this.o.source.name);
    for (const b of decoded.bad) this.o.log(`skipped bad event at ${eventPlace(this.o.source.name, b)}: ${b.reason}`);
    if (decoded.batch.size > 0) {
      const loss = await model.trainStep(decoded.batch, this.rates());
      if (!Number.isFinite(loss)) {
        const first = events[0] as StreamEvent;
        throw new WideDeepError('RUNTIME', `training diverged: the loss became ${loss} at step ${model.steps} (events from ${eventPlace(this.o.source.name, first)})`, { fix: `${lowerRatesFix(model.groups)}, or check the events for extreme values` });
      }
      this.lossSum += loss * decoded.batch.size;
      this.lossRows += decoded.batch.size;
    }
    for (const e of events) {
      advance(this.positions, e);
      this.newestEventMs = Math.max(this.newestEventMs ?? 0, e.timestamp);
    }
    const ledger = recordEvents(this.progress.ledger, decoded.objects, this.o.idField ?? 'id', decoded.bad);
    this.progress = { source: this.o.sourceUrl, positions: { ...this.positions }, ledger };
    this.eventsRead += events.length;
    this.sinceCheckpoint.events += events.length;
    this.sincePublish.events += events.length;
    this.published = false;
  }

  /** Every group's rate at the model's step: the schedule over an unbounded run (as `train` has with no row count). */
  private rates(): GroupRates {
    const { model, config } = this.o;
    return Object.fromEntries(model.groups.map((g) => [g.name, lrAt(config.train.schedule, g.baseRate, model.steps, Number.MAX_SAFE_INTEGER)]));
  }

  /** Checkpoints and publishes when their schedule says so (`final`: whatever is not yet saved). */
  private async maybeSave(final: boolean): Promise<void> {
    const s = this.o.schedule;
    const now = performance.now();
    const due = (since: { events: number; at: number }, events?: number, seconds?: number): boolean =>
      since.events > 0 && ((events !== undefined && since.events >= events) || (seconds !== undefined && now - since.at >= seconds * 1000));
    const publish = !this.published && (final || due(this.sincePublish, s.publishEveryEvents, s.publishEverySeconds));
    if (publish || final || due(this.sinceCheckpoint, s.checkpointEveryEvents, s.checkpointEverySeconds)) {
      if (this.sinceCheckpoint.events > 0) await this.checkpoint();
    }
    if (publish) {
      await publishModel(this.o.outDir, { config: this.o.config, spec: this.o.spec }, this.o.model, this.progress, this.newestEventMs);
      this.publishes++;
      this.lastPublishMs = Date.now();
      this.sincePublish = { events: 0, at: performance.now() };
      this.published = true;
    }
  }

  private async checkpoint(): Promise<void> {
    await saveCheckpoint(this.o.outDir, { config: this.o.config, spec: this.o.spec }, this.o.model, this.progress);
    this.checkpoints++;
    this.sinceCheckpoint = { events: 0, at: performance.now() };
    await this.o.source.commit(this.progress.positions);
  }

  private status(): StreamStatus {
    const seconds = (performance.now() - this.t0) / 1000;
    return {
      events: this.progress.ledger.events,
      eventsPerSec: this.eventsRead / Math.max(seconds, 1e-9),
      lag: this.o.source.lag(),
      loss: this.lossRows > 0 ? this.lossSum / this.lossRows : NaN,
      steps: this.o.model.steps,
      skipped: this.progress.ledger.skipped,
      checkpoints: this.checkpoints,
      publishes: this.publishes,
      lastPublishMs: this.lastPublishMs,
    };
  }
}
