import { type ConsumerMessages, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { type NatsConnection, connect } from '@nats-io/transport-node';
import { WideDeepError } from '../core/errors.js';
import { EventBuffer } from './event-buffer.js';
import type { EventSource, Positions, StreamEvent } from './event-source.js';

/** Options of `NatsSource`. */
export interface NatsSourceOptions {
  readonly servers: readonly string[];
  readonly stream: string;
  /** Only this subject of the stream (wildcards allowed); null: every subject. */
  readonly subject: string | null;
  readonly log?: (line: string) => void;
  /** Events held in memory ahead of training before reading pauses. Default 20000. */
  readonly highWater?: number;
}

/**
 * A JetStream stream as an EventSource, through the official nats.js client (@nats-io/jetstream): an ordered
 * consumer (ephemeral, flow-controlled, recreated by the client on a gap) that starts at the checkpoint's
 * stream sequence (the position is the next sequence to read: the last trained + 1). Nothing is acked or
 * stored on the server for correctness; `commit` has nothing to tell an ordered consumer, and the checkpoint
 * alone says where a restart resumes.
 */
export class NatsSource implements EventSource {
  readonly name: string;
  private nc: NatsConnection | null = null;
  private messages: ConsumerMessages | null = null;
  private readonly queue = new EventBuffer((err) => this.crashed(err));
  private expected = 1;
  private pending: number | null = null;
  private reading: Promise<void> | null = null;

  constructor(private readonly o: NatsSourceOptions) {
    this.name = `JetStream stream ${o.stream}`;
  }

  async connect(positions: Positions | null): Promise<void> {
    this.expected = positions?.[this.o.stream] ?? 1;
    try {
      this.nc = await connect({ servers: [...this.o.servers], name: 'widedeep-train-stream' });
      const jsm = await jetstreamManager(this.nc);
      const info = await jsm.streams.info(this.o.stream);
      if (info.state.first_seq > this.expected && info.state.messages > 0) {
        this.o.log?.(`${this.name}: the checkpoint is at sequence ${this.expected} and the stream now starts at ${info.state.first_seq}; sequences ${this.expected}..${info.state.first_seq - 1} were removed by its limits and are not trained`);
      }
      const consumer = await jetstream(this.nc).consumers.get(this.o.stream, {
        deliver_policy: DeliverPolicy.StartSequence,
        opt_start_seq: this.expected,
        ...(this.o.subject !== null ? { filter_subjects: this.o.subject } : {}),
      });
      this.messages = await consumer.consume({ max_messages: 1000 });
    } catch (err) {
      await this.nc?.close();
      throw new WideDeepError('IO', `${this.name}: cannot read it from ${this.o.servers.join(',')}: ${(err as Error).message}`, {
        field: '--source',
        fix: 'check that nats-server runs with JetStream (-js) and the stream exists (nats stream add)',
      }, { cause: err });
    }
    this.reading = this.read(this.messages);
  }

  /** The background loop: queue each message, pausing while the queue is over its high water. */
  private async read(messages: ConsumerMessages): Promise<void> {
    const highWater = this.o.highWater ?? 20_000;
    try {
      for await (const m of messages) {
        if (m.seq >= this.expected) {
          this.expected = m.seq + 1;
          this.queue.push({ key: this.o.stream, position: m.seq, value: m.data, timestamp: Math.floor(m.info.timestampNanos / 1e6) });
          this.pending = m.info.pending;
          this.queue.notify();
        }
        await this.queue.waitBelow(highWater, () => this.messages !== null);
      }
    } catch (err) {
      this.queue.fail(err as Error);
    }
  }

  next(max: number, waitMs: number): Promise<StreamEvent[]> {
    return this.queue.next(max, waitMs);
  }

  private crashed(err: Error): WideDeepError {
    return new WideDeepError('IO', `${this.name}: reading stopped: ${err.message}`, { field: '--source', fix: 'check the server, then restart: training resumes from the last checkpoint' }, { cause: err });
  }

  async commit(_positions: Positions): Promise<void> {
    // An ordered consumer keeps no server-side position: the checkpoint is the only record (see the class comment).
  }

  lag(): number | null {
    return this.pending === null ? null : this.pending + this.queue.length;
  }

  async close(): Promise<void> {
    const messages = this.messages;
    this.messages = null;
    this.queue.release();
    await messages?.close();
    await this.reading;
    await this.nc?.close();
    this.nc = null;
  }
}
