import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBundle } from '../../src/artifact/bundle.js';
import { WideDeepError } from '../../src/core/errors.js';
import { createSyntheticWorld, syntheticData } from '../../src/data/synthetic.js';
import { batchesOf } from '../../src/train/pipeline.js';
import { streamModel } from '../../src/stream/stream-model.js';
import { train } from '../../src/train/trainer.js';
import { HAVE_KAFKA_MOCK, KAFKA_SKIP, type KafkaMock, startKafkaMock } from '../helpers/kafka-mock.js';
import { smallConfig } from '../helpers/small-config.js';
import { checkpointOf, differingTensors, syntheticEvents } from './fixture.js';
import { parsedConfig, tempDir, trainFromKafka } from './in-process.js';

/** The continuous trainer in this process, over the librdkafka mock cluster through KafkaJS. */
describe.skipIf(!HAVE_KAFKA_MOCK)(`continuous trainer${KAFKA_SKIP}`, () => {
  let mock: KafkaMock;
  beforeAll(async () => {
    mock = await startKafkaMock();
  }, 30_000);
  afterAll(async () => {
    await mock?.stop();
  });

  it('one pass over a topic trains the same model, bit for bit, as a 1-epoch fit over the same rows in the same order', async () => {
    const K = 1000;
    await mock.produce('same', syntheticEvents(K));
    const config = parsedConfig();
    const streamed = await trainFromKafka({ config, bootstrap: mock.bootstrap, topic: 'same', outDir: tempDir() });
    const online = streamed.model.exportState('full');
    await streamed.model.release();

    // The batch path: the rows as the generator makes them (no JSON), transformed in batches, one epoch of `train`.
    const { model, spec } = await streamModel(config, { checkpoint: null, log: () => undefined });
    const cfg = (smallConfig().data as { synthetic: Record<string, number> }).synthetic;
    const rows = syntheticData(createSyntheticWorld({ ...cfg, seed: 11 }), { rows: K });
    const batches = batchesOf(spec, rows, config.train.batchSize);
    await train(model, { rows: K, batches: async function* () { yield* batches; } }, { ...config.train, epochs: 1 });
    const batch = model.exportState('full');
    await model.release();
    expect(streamed.steps).toBe(Math.ceil(K / config.train.batchSize));
    expect(online.steps).toBe(batch.steps);
    expect(differingTensors(online.tensors as Map<string, Float32Array>, batch.tensors as Map<string, Float32Array>)).toEqual([]);
  }, 120_000);

  /** 300 good events with three bad ones among them (ids 301..303 at offsets 50, 120, 200). */
  function withBadEvents(): unknown[] {
    const events: unknown[] = syntheticEvents(300);
    const [a, b] = syntheticEvents(2, 302);
    events.splice(50, 0, 'not json {');
    events.splice(120, 0, { ...(a as object), age: 'old' });
    events.splice(200, 0, { ...(b as object), label: null });
    return events;
  }

  it('bad events under skip: left out, counted with partition and offset, the rest trained', async () => {
    await mock.produce('bad-skip', withBadEvents());
    const out = tempDir();
    const r = await trainFromKafka({ config: parsedConfig(), bootstrap: mock.bootstrap, topic: 'bad-skip', outDir: out, onBadRow: 'skip' });
    await r.model.release();
    const ck = await checkpointOf(out);
    expect(ck.ledger.events).toBe(300);
    expect(ck.ledger.idSum).toBe((300 * 301) / 2);
    expect(ck.ledger.skipped).toBe(3);
    expect(ck.ledger.firstSkipped.map((s) => [s.key, s.position])).toEqual([['0', 50], ['0', 120], ['0', 200]]);
    expect(ck.ledger.firstSkipped[0]?.reason).toContain('JSON');
    expect(ck.ledger.firstSkipped[1]?.reason).toContain('age');
    expect(ck.ledger.firstSkipped[2]?.reason).toContain('label');
    expect(ck.positions).toEqual({ '0': 303 });
  }, 60_000);

  it('a bad event under error stops the run naming its partition, offset, field and the fix; nothing after it is checkpointed', async () => {
    await mock.produce('bad-stop', withBadEvents().slice(0, 150));
    const out = tempDir();
    const err = await trainFromKafka({ config: parsedConfig(), bootstrap: mock.bootstrap, topic: 'bad-stop', outDir: out, onBadRow: 'error', schedule: { checkpointEveryEvents: 32 } }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WideDeepError);
    const e = err as WideDeepError;
    expect(e.code).toBe('DATA');
    expect(e.message).toContain('partition 0 offset 50');
    expect(e.details.fix).toContain('onBadRow');
    // The mini-batch holding offset 50 (offsets 0..63 with batchSize 64) was not trained, so not checkpointed.
    expect((await checkpointOf(out).catch(() => null))?.positions['0'] ?? 0).toBeLessThanOrEqual(50);
  }, 60_000);

  it('--warm-start takes the spec and weights of a bundle, and a checkpoint bundle its optimizer state and step count too', async () => {
    await mock.produce('warm', syntheticEvents(200));
    const out = tempDir();
    const config = parsedConfig();
    const first = await trainFromKafka({ config, bootstrap: mock.bootstrap, topic: 'warm', outDir: out });
    const trained = first.model.exportState('full');
    await first.model.release();
    const published = await streamModel(config, { checkpoint: null, warmStartDir: join(out, 'model'), log: () => undefined });
    const fromCheckpoint = await streamModel(config, { checkpoint: null, warmStartDir: join(out, 'checkpoint'), log: () => undefined });
    const fresh = await streamModel(config, { checkpoint: null, log: () => undefined });
    try {
      expect(published.spec).toEqual(first.spec);
      const weights = published.model.exportState('weights');
      expect(differingTensors(weights.tensors as Map<string, Float32Array>, (await readBundle(join(out, 'model'))).state.tensors as Map<string, Float32Array>)).toEqual([]);
      expect(differingTensors(fresh.model.exportState('weights').tensors as Map<string, Float32Array>, weights.tensors as Map<string, Float32Array>)).not.toEqual([]);
      const full = fromCheckpoint.model.exportState('full');
      expect(full.steps).toBe(trained.steps);
      expect(differingTensors(full.tensors as Map<string, Float32Array>, trained.tensors as Map<string, Float32Array>)).toEqual([]);
    } finally {
      await Promise.all([published.model.release(), fromCheckpoint.model.release(), fresh.model.release()]);
    }
  }, 60_000);

  it('a restart with another source URL for the same --out is refused naming both', async () => {
    await mock.produce('first', syntheticEvents(64));
    const out = tempDir();
    const config = parsedConfig();
    await (await trainFromKafka({ config, bootstrap: mock.bootstrap, topic: 'first', outDir: out })).model.release();
    const err = await trainFromKafka({ config, bootstrap: mock.bootstrap, topic: 'second', outDir: out }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WideDeepError);
    expect((err as WideDeepError).message).toContain('/first');
    expect((err as WideDeepError).details.fix).toContain('--source');
  }, 60_000);
});
