/**
 * The event ledger a checkpoint carries: how many events the checkpointed model has trained on, an
 * order-free checksum of their ids (the sum of each event's numeric id field), and the events skipped as bad.
 * Saved atomically with the model and the positions, it is what the exactly-once tests read back: after any
 * number of `kill -9`s and restarts, `events` equals the number produced and `idSum` the sum of their ids
 * exactly when every event was trained exactly once.
 */
export interface Ledger {
  /** Events trained. */
  readonly events: number;
  /** Sum of the numeric ids of the trained events (exact up to 2^53). */
  readonly idSum: number;
  /** Trained events without a numeric id (they count in `events` only). */
  readonly withoutId: number;
  /** Events left out as bad (onBadRow: skip), and the first few of them with where they sit and why. */
  readonly skipped: number;
  readonly firstSkipped: readonly { readonly key: string; readonly position: number; readonly reason: string }[];
}

export const EMPTY_LEDGER: Ledger = { events: 0, idSum: 0, withoutId: 0, skipped: 0, firstSkipped: [] };
const KEEP_SKIPPED = 10;

/** The ledger after training `objects` (their `idField` read as the id) and skipping `bad`. */
export function recordEvents(l: Ledger, objects: readonly Record<string, unknown>[], idField: string, bad: Ledger['firstSkipped']): Ledger {
  let idSum = l.idSum;
  let withoutId = l.withoutId;
  for (const o of objects) {
    const id = o[idField];
    if (typeof id === 'number' && Number.isFinite(id)) idSum += id;
    else withoutId++;
  }
  const firstSkipped = l.firstSkipped.length < KEEP_SKIPPED ? [...l.firstSkipped, ...bad].slice(0, KEEP_SKIPPED) : l.firstSkipped;
  return { events: l.events + objects.length, idSum, withoutId, skipped: l.skipped + bad.length, firstSkipped };
}
