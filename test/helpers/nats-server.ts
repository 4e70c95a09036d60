import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { type NatsConnection, connect } from '@nats-io/transport-node';
import { freePort, stopChild } from './daemon.js';

/**
 * A throwaway NATS server with JetStream (`nats-server -js`) on a free loopback port, storing in a temp dir,
 * for the train-stream tests. Where the binary is absent, tests skip with `NATS_SKIP` as their one line.
 */
export const NATS_SERVER_BIN = ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server'].find((p) => existsSync(p)) ?? null;
export const HAVE_NATS = NATS_SERVER_BIN !== null;
export const NATS_SKIP = HAVE_NATS ? '' : ' (skipped: nats-server not found; apt-get install -y nats-server)';

export interface NatsServer {
  /** `127.0.0.1:<port>` */
  readonly address: string;
  /** Creates a stream over `subject` and publishes JSON events to it in order. */
  publish(stream: string, subject: string, events: readonly unknown[]): Promise<void>;
  stop(): Promise<void>;
}

/** Starts nats-server -js and waits until a client connects. */
export async function startNats(): Promise<NatsServer> {
  const dir = mkdtempSync(join(tmpdir(), 'wd-nats-'));
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const child = spawn(NATS_SERVER_BIN as string, ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
    const address = `127.0.0.1:${port}`;
    let nc: NatsConnection | null = null;
    const deadline = Date.now() + 10_000;
    while (nc === null && Date.now() < deadline && child.exitCode === null) {
      nc = await connect({ servers: address, reconnect: false }).catch(() => null);
      if (nc === null) await new Promise((r) => setTimeout(r, 100));
    }
    if (nc === null) {
      await stopChild(child);
      continue;
    }
    const client = nc;
    return {
      address,
      async publish(stream, subject, events) {
        const jsm = await jetstreamManager(client);
        await jsm.streams.add({ name: stream, subjects: [subject] }).catch(async (err: Error) => {
          if (!/already in use/.test(err.message)) throw err;
        });
        const js = jetstream(client);
        for (const e of events) await js.publish(subject, typeof e === 'string' ? e : JSON.stringify(e));
      },
      async stop() {
        await client.close();
        await stopChild(child);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error('nats-server did not start');
}
