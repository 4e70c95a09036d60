import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAVE_NATS, NATS_SKIP, type NatsServer, startNats } from '../helpers/nats-server.js';
import { writeConfig } from '../helpers/small-config.js';
import { readBundle } from '../../src/artifact/bundle.js';
import { checkpointOf, currentVersion, spawnTrainStream, streamConfig, syntheticEvents } from './fixture.js';
import { expectKilledRunEqualsWhole } from './kill-restart.js';

/**
 * `widedeep train-stream` against a real `nats-server -js` through the official nats.js JetStream client:
 * every event trained exactly once across kill -9 and restarts, and the same model as an uninterrupted run.
 */
describe.skipIf(!HAVE_NATS)(`train-stream from NATS JetStream${NATS_SKIP}`, () => {
  let nats: NatsServer;
  beforeAll(async () => {
    nats = await startNats();
  }, 30_000);
  afterAll(async () => {
    await nats?.stop();
  });

  it('kill -9 at random moments, restarted until the stream is consumed: each event trained exactly once, the same model as one run', async () => {
    const K = 960;
    await nats.publish('CLICKS', 'clicks.app', syntheticEvents(K));
    // JetStream sequences start at 1: the next to read is K + 1.
    await expectKilledRunEqualsWhole({ source: `nats://${nats.address}/CLICKS?subject=clicks.>`, extra: ['--idle-exit-seconds', '2'], seed: 5, events: K, positions: { CLICKS: K + 1 } });
  }, 240_000);
});

describe.skipIf(!HAVE_NATS)(`train-stream SIGTERM${NATS_SKIP}`, () => {
  it('finishes the mini-batch in hand, checkpoints, publishes and exits 0; the restart trains the rest', async () => {
    const nats = await startNats();
    try {
      const K = 3000;
      await nats.publish('TERM', 'term', syntheticEvents(K));
      const [dir, config] = writeConfig(streamConfig());
      const out = join(dir, 'out');
      const args = ['--config', config, '--source', `nats://${nats.address}/TERM`, '--out', out, '--idle-exit-seconds', '3', '--checkpoint-every-events', '64', '--publish-every-events', '100000'];
      const run = spawnTrainStream(args);
      while (currentVersion(join(out, 'checkpoint')) === null) await new Promise((r) => setTimeout(r, 20));
      run.child.kill('SIGTERM');
      expect(await run.exited, run.output()).toBe(0);
      const stopped = await checkpointOf(out);
      expect(stopped.ledger.events).toBeGreaterThan(0);
      expect(stopped.positions).toEqual({ TERM: stopped.ledger.events + 1 });
      // The publish at exit holds exactly the checkpointed events.
      expect(((await readBundle(join(out, 'model'))).manifest.metrics.stream as { events: number }).events).toBe(stopped.ledger.events);
      const rest = spawnTrainStream(args);
      expect(await rest.exited, rest.output()).toBe(0);
      expect((await checkpointOf(out)).ledger).toMatchObject({ events: K, idSum: (K * (K + 1)) / 2 });
    } finally {
      await nats.stop();
    }
  }, 120_000);
});
