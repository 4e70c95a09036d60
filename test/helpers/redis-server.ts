import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, stopChild } from './daemon.js';

/**
 * A throwaway Redis for the queue tests: Debian's `redis-server` on a free loopback port, in a temp dir, with
 * persistence off (`--save '' --appendonly no`). `.ci/run` installs it; where it is absent, tests skip with
 * `REDIS_SKIP` as their one line of explanation.
 */
export const REDIS_SERVER_BIN = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((p) => existsSync(p)) ?? null;
export const HAVE_REDIS = REDIS_SERVER_BIN !== null;
/** Appended to the name of a test that skips without redis-server. */
export const REDIS_SKIP = HAVE_REDIS ? '' : ' (skipped: redis-server not found; apt-get install -y redis-server)';

export interface RedisServer {
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** Everything the server logged (it logs to stdout). */
  output(): string;
  /** Stops the server (SIGTERM, then SIGKILL after 3 s) and removes its temp dir. */
  stop(): Promise<void>;
  /** Kills the server and starts an empty one on the same port (Redis lost its data: no persistence). */
  restart(): Promise<void>;
}

/** True when a `PING` on the port gets `+PONG` back. */
function pings(port: number): Promise<boolean> {
  return new Promise((ok) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    const done = (v: boolean) => {
      socket.destroy();
      ok(v);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (d: Buffer) => {
      reply += d.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}

interface Started {
  readonly output: () => string;
  readonly stop: () => Promise<void>;
}

/** Starts redis-server on `port` and waits for PING; null when it exited at once (the port was taken). */
async function tryStart(dir: string, port: number): Promise<Started | null> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--protected-mode', 'no'];
  const child = spawn(REDIS_SERVER_BIN as string, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-20000)));
  child.stderr?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-20000)));
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) return null; // e.g. the port was taken in between: try another
    if (await pings(port)) return { output: () => output, stop: () => stopChild(child) };
    await new Promise((r) => setTimeout(r, 50));
  }
  await stopChild(child);
  throw new Error(`redis-server on port ${port} did not answer PING within 10 s: ${output}`);
}

/** Starts a fresh redis-server and waits until it answers PING; `stop()` it in afterAll. */
export async function startRedis(): Promise<RedisServer> {
  if (!HAVE_REDIS) throw new Error('redis-server not found; apt-get install -y redis-server');
  const dir = mkdtempSync(join(tmpdir(), 'wd-redis-'));
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    let server = await tryStart(dir, port);
    if (!server) continue;
    return {
      url: `redis://127.0.0.1:${port}`,
      port,
      output: () => server?.output() ?? '',
      stop: async () => {
        await server?.stop();
        rmSync(dir, { recursive: true, force: true });
      },
      restart: async () => {
        await server?.stop();
        server = await tryStart(dir, port);
        if (!server) throw new Error(`redis-server could not start again on port ${port}`);
      },
    };
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error('redis-server exited at start 5 times (ports taken?)');
}
