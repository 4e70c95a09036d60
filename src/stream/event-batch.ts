import { WideDeepError } from '../core/errors.js';
import { inputColumns, numericInputs } from '../features/checks.js';
import type { FittedSpec } from '../features/fitted-spec.js';
import { labelSources } from '../features/labels.js';
import type { BadRowPolicy } from '../features/resolved.js';
import { rowsToChunk } from '../features/rows.js';
import { transform } from '../features/transform.js';
import { modelBatchOf } from '../model/from-spec.js';
import type { ModelBatch } from '../model/sizes.js';
import type { StreamEvent } from './event-source.js';

/** An event left out under onBadRow: skip, with where it sits and why. */
export interface BadEvent {
  readonly key: string;
  readonly position: number;
  readonly reason: string;
}

/** A mini-batch of events, decoded: the model batch of the good ones (in order), them, and the bad ones. */
export interface DecodedEvents {
  readonly batch: ModelBatch;
  readonly objects: readonly Record<string, unknown>[];
  readonly bad: readonly BadEvent[];
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Where an event sits, for messages: `kafka topic t partition 2 offset 17`. */
export function eventPlace(sourceName: string, e: { readonly key: string; readonly position: number }): string {
  return sourceName.startsWith('kafka') ? `${sourceName} partition ${e.key} offset ${e.position}` : `${sourceName} sequence ${e.position}`;
}

function badEventError(sourceName: string, e: StreamEvent, reason: string, field?: string): WideDeepError {
  return new WideDeepError('DATA', `bad event at ${eventPlace(sourceName, e)}: ${reason}`, {
    file: sourceName,
    ...(field !== undefined ? { field } : {}),
    fix: 'fix the producer; to leave bad events out and count them instead, set features.onBadRow: skip in the config (or pass --on-bad-row skip)',
  });
}

/** The JSON object of an event, or why it is none. */
function parseEvent(e: StreamEvent): Record<string, unknown> | string {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(e.value));
  } catch (err) {
    return `not UTF-8 JSON (${(err as Error).message})`;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'not a JSON object keyed by column';
  return value as Record<string, unknown>;
}

/**
 * Turns events into one training batch with the serving path's row checks (rowsToChunk, then transform in
 * train mode, which also reads the label): the same checks and encodings as `serve` and as batch training.
 * A bad event (not JSON, a value of the wrong type, a missing label) stops with an error naming its partition
 * and offset (sequence), or under `policy: 'skip'` is left out and returned in `bad`.
 */
export function decodeEvents(spec: FittedSpec, events: readonly StreamEvent[], policy: BadRowPolicy, sourceName: string): DecodedEvents {
  // Bad events with their index in `events`, to report them in log order whichever check found them.
  const bad: { at: number; event: BadEvent }[] = [];
  let kept: { at: number; e: StreamEvent; o: Record<string, unknown> }[] = [];
  const reject = (at: number, e: StreamEvent, reason: string, field?: string): void => {
    if (policy === 'error') throw badEventError(sourceName, e, reason, field);
    bad.push({ at, event: { key: e.key, position: e.position, reason: field !== undefined ? `${field}: ${reason}` : reason } });
  };
  events.forEach((e, at) => {
    const o = parseEvent(e);
    if (typeof o === 'string') reject(at, e, o);
    else kept.push({ at, e, o });
  });
  const columns = [...inputColumns(spec), ...(spec.label !== null ? labelSources(spec.label).map((l) => l.source) : [])];
  const numeric = numericInputs(spec);
  // rowsToChunk stops at the first bad row: leave it out and read the rest again (one pass per bad event).
  for (;;) {
    try {
      const chunk = rowsToChunk(kept.map((k) => k.o), { source: sourceName, columns, numeric });
      const fb = transform(spec, chunk, { mode: 'train', onBadRow: policy });
      const skipped = new Set(fb.skippedRowNumbers);
      if (skipped.size > 0) {
        // The transform keeps the reason of its first skipped row only.
        let first = true;
        for (const n of skipped) {
          const k = kept[n - 1] as { at: number; e: StreamEvent };
          reject(k.at, k.e, (first ? fb.firstSkipReason : null) ?? 'a value the transform cannot encode (a missing label, a non-finite number)');
          first = false;
        }
        kept = kept.filter((_, i) => !skipped.has(i + 1));
      }
      bad.sort((x, y) => x.at - y.at);
      return { batch: modelBatchOf(fb), objects: kept.map((k) => k.o), bad: bad.map((b) => b.event) };
    } catch (err) {
      const row = err instanceof WideDeepError && err.code === 'DATA' ? err.details.row : undefined;
      const at = row !== undefined ? kept[row - 1] : undefined;
      if (at === undefined) throw err;
      const reason = (err as WideDeepError).reason;
      reject(at.at, at.e, reason, (err as WideDeepError).details.field);
      kept.splice((row as number) - 1, 1);
    }
  }
}
