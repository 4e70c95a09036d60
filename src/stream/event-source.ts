/**
 * What continuous training reads events from: a Kafka topic or a JetStream stream behind one interface, so
 * that the trainer loop knows nothing of either client.
 *
 * Positions say where the source stands: for each position key (a Kafka partition, or the one JetStream
 * stream) the next position to read (an offset, a stream sequence). They are saved inside every checkpoint;
 * a restart hands them back to `connect`, and the source reads from exactly there, whatever the broker's
 * own bookkeeping (committed group offsets, durable consumers) says. That is the half of the exactly-once
 * equivalent that belongs to the sources (docs/SCALE.md).
 */

/** Position key -> next position to read. */
export type Positions = Readonly<Record<string, number>>;

/** One event as read: its raw bytes and where it sits. */
export interface StreamEvent {
  /** Partition number (Kafka) or the stream name (JetStream). */
  readonly key: string;
  /** Offset (Kafka) or stream sequence (JetStream) of this event. */
  readonly position: number;
  readonly value: Uint8Array;
  /** Milliseconds since the epoch when the broker stored it (its produce time). */
  readonly timestamp: number;
}

export interface EventSource {
  /** Human-readable name for logs and errors: `kafka topic clicks`, `JetStream stream CLICKS`. */
  readonly name: string;
  /**
   * Connects and starts reading at `positions` (null: from the beginning of the log). Keys absent from
   * `positions` (a partition added since the checkpoint) start from their beginning.
   */
  connect(positions: Positions | null): Promise<void>;
  /**
   * Up to `max` events in log order per key, waiting at most `waitMs` for the first one (an empty list when
   * none came). Never returns an event before a position handed to connect.
   */
  next(max: number, waitMs: number): Promise<StreamEvent[]>;
  /**
   * Tells the broker what is trained and checkpointed (committed group offsets, consumer acks): for monitoring
   * only, never read back for correctness.
   */
  commit(positions: Positions): Promise<void>;
  /** Events stored in the log but not yet returned by `next`, when the source knows; else null. */
  lag(): number | null;
  close(): Promise<void>;
}

/** The position after `e`: what a checkpoint records once `e` is trained. */
export function advance(positions: Record<string, number>, e: StreamEvent): void {
  positions[e.key] = e.position + 1;
}
