import { beforeAll, describe, expect, it } from 'vitest';
import { WideDeepError } from '../../src/core/errors.js';
import { createSyntheticWorld, syntheticData } from '../../src/data/synthetic.js';
import { fitResolved } from '../../src/features/fit.js';
import type { FittedSpec } from '../../src/features/fitted-spec.js';
import type { StreamEvent } from '../../src/stream/event-source.js';
import { decodeEvents } from '../../src/stream/event-batch.js';
import { smallConfig } from '../helpers/small-config.js';
import { syntheticEvents } from './fixture.js';
import { parsedConfig } from './in-process.js';

const SOURCE = 'kafka topic clicks';
const encoder = new TextEncoder();
const events = (values: readonly unknown[]): StreamEvent[] =>
  values.map((v, i) => ({ key: '3', position: 100 + i, timestamp: 0, value: encoder.encode(typeof v === 'string' ? v : JSON.stringify(v)) }));

describe('decodeEvents', () => {
  let spec: FittedSpec;
  beforeAll(async () => {
    const cfg = (smallConfig().data as { synthetic: Record<string, number> }).synthetic;
    spec = await fitResolved(parsedConfig().features, [syntheticData(createSyntheticWorld({ ...cfg, seed: 3 }), { rows: 500 })]);
  });

  it('turns good events into one training batch with their labels, in order', () => {
    const good = syntheticEvents(20);
    const d = decodeEvents(spec, events(good), 'error', SOURCE);
    expect(d.batch.size).toBe(20);
    expect(Array.from(d.batch.labels as Float32Array)).toEqual(good.map((e) => e.label));
    expect(d.objects.map((o) => o.id)).toEqual(good.map((e) => e.id));
    expect(d.bad).toEqual([]);
  });

  it('under skip, leaves out each kind of bad event with its position and keeps the rest', () => {
    const good = syntheticEvents(6);
    const mixed = [good[0], '{"broken', good[1], { ...good[2], installed_apps: 'a1' }, good[3], [1, 2], good[4], { ...good[5], label: 'yes' }];
    const d = decodeEvents(spec, events(mixed), 'skip', SOURCE);
    expect(d.objects.map((o) => o.id)).toEqual([1, 2, 4, 5]);
    expect(d.batch.size).toBe(4);
    expect(d.bad.map((b) => b.position)).toEqual([101, 103, 105, 107]);
    expect(d.bad.map((b) => b.key)).toEqual(['3', '3', '3', '3']);
  });

  it('under error, stops at the first bad event naming partition, offset, field and the fix', () => {
    const good = syntheticEvents(3);
    let err: unknown;
    try {
      decodeEvents(spec, events([good[0], good[1], { ...good[2], age: 'old' }]), 'error', SOURCE);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(WideDeepError);
    expect((err as WideDeepError).message).toContain('partition 3 offset 102');
    expect((err as WideDeepError).details.field).toBe('age');
    expect((err as WideDeepError).details.fix).toContain('onBadRow: skip');
  });
});
