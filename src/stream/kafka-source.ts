import { type Admin, type Consumer, type EachBatchPayload, Kafka, type LogEntry, logLevel } from 'kafkajs';
import { WideDeepError } from '../core/errors.js';
import { EventBuffer } from './event-buffer.js';
import type { EventSource, Positions, StreamEvent } from './event-source.js';

/** Options of `KafkaSource`. */
export interface KafkaSourceOptions {
  readonly brokers: readonly string[];
  readonly topic: string;
  /** The consumer group: one trainer per group (each member would otherwise train its own model on part of the log). */
  readonly groupId: string;
  /** Warnings of the client and of the source (a gap, a failed commit). */
  readonly log?: (line: string) => void;
  /**
   * How long the group waits for a silent member before giving its partitions to others (KafkaJS's
   * sessionTimeout): a trainer restarted after a crash resumes after at most this. Default 30000 ms.
   */
  readonly sessionTimeoutMs?: number;
  /** Events held in memory ahead of training before the fetch loop waits. Default 20000. */
  readonly highWater?: number;
}

/**
 * How long a fetch waits on the broker for data (KafkaJS's maxWaitTimeInMs, default 5000): a bound on how late
 * an event produced into a quiet topic is seen, measured in bench/stream-case.ts.
 */
const FETCH_WAIT_MS = 250;

/**
 * A Kafka topic as an EventSource, through KafkaJS (pure JavaScript): a consumer in a group, positions =
 * per-partition offsets. On every group join each assigned partition is sought to the position the
 * checkpoint recorded (its low watermark when there is none), so committed group offsets play no part in
 * what is trained; they are committed after each checkpoint only for monitoring (`kafka-consumer-groups`).
 * Events below a partition's expected offset (a re-fetch after a rebalance, a seek that has not taken yet)
 * are dropped, so `next` never returns an event twice or one before the checkpoint.
 */
export class KafkaSource implements EventSource {
  readonly name: string;
  private readonly kafka: Kafka;
  private consumer: Consumer | null = null;
  private readonly queue = new EventBuffer((err) => this.crashed(err));
  private readonly expected = new Map<number, number>();
  private readonly high = new Map<number, number>();

  constructor(private readonly o: KafkaSourceOptions) {
    this.name = `kafka topic ${o.topic}`;
    const log = o.log ?? (() => undefined);
    const logCreator = () => (e: LogEntry) => log(`kafkajs ${e.namespace}: ${e.log.message}`);
    this.kafka = new Kafka({ clientId: 'widedeep-train-stream', brokers: [...o.brokers], logLevel: logLevel.ERROR, logCreator, retry: { retries: 8 } });
  }

  async connect(positions: Positions | null): Promise<void> {
    const low = await this.lowWatermarks();
    // Below the low watermark nothing is left to read (retention deleted it): start at the first stored offset.
    for (const [p, l] of low) this.expected.set(p, Math.max(positions?.[String(p)] ?? l, l));
    for (const [key, at] of Object.entries(positions ?? {})) {
      const p = Number(key);
      const l = low.get(p);
      if (l !== undefined && at < l) this.o.log?.(`${this.name} partition ${p}: the checkpoint is at offset ${at} and the log now starts at ${l}; offsets ${at}..${l - 1} were deleted by retention and are not trained`);
    }
    const sessionTimeout = this.o.sessionTimeoutMs ?? 30_000;
    const consumer = this.kafka.consumer({ groupId: this.o.groupId, allowAutoTopicCreation: false, sessionTimeout, heartbeatInterval: Math.min(3000, Math.floor(sessionTimeout / 3)), maxWaitTimeInMs: FETCH_WAIT_MS });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      for (const p of e.payload.memberAssignment[this.o.topic] ?? []) {
        if (!this.expected.has(p)) this.expected.set(p, 0);
        consumer.seek({ topic: this.o.topic, partition: p, offset: String(this.expected.get(p)) });
      }
    });
    consumer.on(consumer.events.CRASH, (e) => {
      if (e.payload.restart) return;
      this.queue.fail(e.payload.error);
    });
    await consumer.connect();
    await consumer.subscribe({ topic: this.o.topic, fromBeginning: true });
    await consumer.run({ autoCommit: false, eachBatch: (b) => this.take(b) });
  }

  /** Each partition's first stored offset (the topic is created by this metadata request when missing and auto-create is on). */
  private async lowWatermarks(): Promise<Map<number, number>> {
    const admin: Admin = this.kafka.admin();
    try {
      await admin.connect();
      const offsets = await admin.fetchTopicOffsets(this.o.topic);
      return new Map(offsets.map((o) => [o.partition, Number(o.low)]));
    } catch (err) {
      throw new WideDeepError('IO', `${this.name}: cannot read the topic's offsets from ${this.o.brokers.join(',')}: ${(err as Error).message}`, {
        field: '--source',
        fix: 'check that the brokers are reachable and the topic exists (create it, or enable auto-creation)',
      }, { cause: err });
    } finally {
      await admin.disconnect();
    }
  }

  /** The fetch loop's handler: queue the batch's new events, then wait while the queue is over its high water. */
  private async take({ batch, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const p = batch.partition;
    this.high.set(p, Number(batch.highWatermark));
    for (const m of batch.messages) {
      const offset = Number(m.offset);
      const expected = this.expected.get(p) ?? 0;
      if (offset < expected) continue;
      this.expected.set(p, offset + 1);
      this.queue.push({ key: String(p), position: offset, value: m.value ?? new Uint8Array(0), timestamp: Number(m.timestamp) });
    }
    this.queue.notify();
    await this.queue.waitBelow(this.o.highWater ?? 20_000, () => isRunning() && !isStale(), heartbeat);
  }

  next(max: number, waitMs: number): Promise<StreamEvent[]> {
    return this.queue.next(max, waitMs);
  }

  private crashed(err: Error): WideDeepError {
    return new WideDeepError('IO', `${this.name}: the consumer stopped: ${err.message}`, { field: '--source', fix: 'check the brokers, then restart: training resumes from the last checkpoint' }, { cause: err });
  }

  async commit(positions: Positions): Promise<void> {
    const offsets = Object.entries(positions).map(([p, offset]) => ({ topic: this.o.topic, partition: Number(p), offset: String(offset) }));
    try {
      await this.consumer?.commitOffsets(offsets);
    } catch (err) {
      // Committed offsets are for monitoring only (the checkpoint holds the positions), so a failed commit warns.
      this.o.log?.(`${this.name}: could not commit the group's offsets (monitoring only; training is unaffected): ${(err as Error).message}`);
    }
  }

  lag(): number | null {
    if (this.high.size === 0) return null;
    let lag = this.queue.length;
    for (const [p, h] of this.high) lag += Math.max(0, h - (this.expected.get(p) ?? 0));
    return lag;
  }

  async close(): Promise<void> {
    this.queue.release();
    await this.consumer?.disconnect();
    this.consumer = null;
  }
}
