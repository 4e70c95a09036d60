import type { WideDeepError } from '../core/errors.js';
import type { StreamEvent } from './event-source.js';

/**
 * The events a source's background reader has fetched and the trainer has not taken yet, shared by the Kafka
 * and NATS sources: the reader pushes and waits while the buffer is over its high water; the trainer's `next`
 * takes up to `max`, waiting up to `waitMs` for the first; a reader's failure wakes the trainer and is thrown
 * there, worded by the source (`crashed`).
 */
export class EventBuffer {
  private readonly events: StreamEvent[] = [];
  private wake: (() => void) | null = null;
  private drained: (() => void) | null = null;
  private failure: Error | null = null;

  constructor(private readonly crashed: (err: Error) => WideDeepError) {}

  get length(): number {
    return this.events.length;
  }

  push(event: StreamEvent): void {
    this.events.push(event);
  }

  /** Wakes a trainer waiting in `next` (after a push, or a failure). */
  notify(): void {
    this.wake?.();
  }

  /** The reader stopped with `err`: the trainer's next `next` throws it. */
  fail(err: Error): void {
    this.failure = err;
    this.wake?.();
  }

  /** The reader's back-pressure: waits while over `highWater` and `going()`, a second at a time, calling `between` after each wait. */
  async waitBelow(highWater: number, going: () => boolean, between?: () => Promise<void>): Promise<void> {
    while (this.events.length > highWater && going()) {
      await new Promise<void>((ok) => {
        this.drained = ok;
        setTimeout(ok, 1000);
      });
      await between?.();
    }
  }

  /** Lets a reader waiting in `waitBelow` go on (the source closes). */
  release(): void {
    this.drained?.();
  }

  /** Up to `max` events, waiting up to `waitMs` when none is buffered. */
  async next(max: number, waitMs: number): Promise<StreamEvent[]> {
    if (this.failure) throw this.crashed(this.failure);
    if (this.events.length === 0 && waitMs > 0) {
      await new Promise<void>((ok) => {
        const timer = setTimeout(ok, waitMs);
        this.wake = () => {
          clearTimeout(timer);
          ok();
        };
      });
      this.wake = null;
      if (this.failure) throw this.crashed(this.failure);
    }
    const events = this.events.splice(0, max);
    if (events.length > 0) this.drained?.();
    return events;
  }
}
