import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBundle } from '../../src/artifact/bundle.js';
import { serveBundle } from '../../src/serve/server.js';
import { HAVE_KAFKA_MOCK, KAFKA_SKIP, type KafkaMock, startKafkaMock } from '../helpers/kafka-mock.js';
import { checkpointOf, currentVersion, syntheticEvents } from './fixture.js';
import { parsedConfig, tempDir, trainFromKafka } from './in-process.js';

async function getJson(url: string, body?: unknown): Promise<Record<string, unknown>> {
  const r = await fetch(url, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return (await r.json()) as Record<string, unknown>;
}

/** Publishing: versions of `<out>/model` that a `serve --watch` server picks up, each after a checkpoint. */
describe.skipIf(!HAVE_KAFKA_MOCK)(`train-stream publishing${KAFKA_SKIP}`, () => {
  let mock: KafkaMock;
  beforeAll(async () => {
    mock = await startKafkaMock();
  }, 30_000);
  afterAll(async () => {
    await mock?.stop();
  });

  it('a watching server serves each new version; a published model holds only checkpointed events', async () => {
    const out = tempDir();
    const config = parsedConfig();
    const events = syntheticEvents(1200);
    await mock.produce('pub', events.slice(0, 600));
    const first = await trainFromKafka({ config, bootstrap: mock.bootstrap, topic: 'pub', outDir: out, schedule: { publishEveryEvents: 256 } });
    await first.model.release();
    const modelDir = join(out, 'model');
    // 600 events: publishes after 256 and 512 events, and the last one at exit.
    expect(first.publishes).toBe(3);
    const published = (await readBundle(modelDir)).manifest.metrics.stream as { events: number; positions: Record<string, number> };
    expect(published.events).toBe(600);
    expect(published.positions).toEqual((await checkpointOf(out)).positions);

    const server = await serveBundle(modelDir, { port: 0, host: '127.0.0.1', watch: true });
    try {
      const row = { ...events[0], id: undefined };
      const before = await getJson(`${server.url}/metadata`);
      const p1 = ((await getJson(`${server.url}/predict`, { rows: [row] })).predictions as number[][])[0];
      const version = currentVersion(modelDir);

      await mock.produce('pub', events.slice(600));
      const second = await trainFromKafka({ config, bootstrap: mock.bootstrap, topic: 'pub', outDir: out, schedule: { publishEveryEvents: 10_000 } });
      await second.model.release();
      expect(second.events).toBe(1200);
      expect(currentVersion(modelDir)).not.toBe(version);
      let after = before;
      for (let i = 0; i < 100 && after.digest === before.digest; i++) {
        await new Promise((r) => setTimeout(r, 100));
        after = await getJson(`${server.url}/metadata`);
      }
      expect(after.digest).not.toBe(before.digest);
      expect(after.digest).toBe(((await readBundle(modelDir)).manifest as { digest: string }).digest);
      const p2 = ((await getJson(`${server.url}/predict`, { rows: [row] })).predictions as number[][])[0];
      expect(p2).not.toEqual(p1);
    } finally {
      await server.close();
    }
  }, 120_000);
});
