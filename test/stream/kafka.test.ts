import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAVE_KAFKA_MOCK, KAFKA_SKIP, type KafkaMock, startKafkaMock } from '../helpers/kafka-mock.js';
import { writeConfig } from '../helpers/small-config.js';
import { checkpointOf, streamConfig, syntheticEvents } from './fixture.js';
import { expectKilledRunEqualsWhole, killAndRestart, seeded } from './kill-restart.js';

/**
 * `widedeep train-stream` against librdkafka's mock Kafka cluster (3 brokers) through KafkaJS: every event is
 * trained exactly once across kill -9 and restarts, and the final model is bit for bit the one of an
 * uninterrupted run over the same events.
 */
describe.skipIf(!HAVE_KAFKA_MOCK)(`train-stream from Kafka${KAFKA_SKIP}`, () => {
  let mock: KafkaMock;
  beforeAll(async () => {
    mock = await startKafkaMock();
  }, 30_000);
  afterAll(async () => {
    await mock?.stop();
  });

  it('kill -9 at random moments, restarted until the log is consumed: each event trained exactly once, the same model as one run', async () => {
    const K = 960;
    await mock.produce('clicks', syntheticEvents(K));
    const extra = ['--idle-exit-seconds', '4', '--session-timeout-seconds', '6'];
    await expectKilledRunEqualsWhole({ source: `kafka://${mock.bootstrap}/clicks`, extra, seed: 7, events: K, positions: { '0': K } });
  }, 240_000);

  it('events spread over partitions: each trained exactly once across kills', async () => {
    const K = 640;
    const events = syntheticEvents(K);
    for (let p = 0; p < 4; p++) await mock.produce('spread', events.filter((_, i) => i % 4 === p), p);
    const [dir, config] = writeConfig(streamConfig());
    const out = join(dir, 'out');
    const args = ['--config', config, '--source', `kafka://${mock.bootstrap}/spread`, '--out', out, '--idle-exit-seconds', '4', '--session-timeout-seconds', '6', '--checkpoint-every-events', '128'];
    await killAndRestart(args, out, 2, seeded(11));
    const ck = await checkpointOf(out);
    expect(ck.ledger.events).toBe(K);
    expect(ck.ledger.idSum).toBe((K * (K + 1)) / 2);
    expect(ck.positions).toEqual({ '0': K / 4, '1': K / 4, '2': K / 4, '3': K / 4 });
  }, 180_000);
});
