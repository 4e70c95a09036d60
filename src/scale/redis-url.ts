import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { ConnectionOptions } from 'bullmq';
import { WideDeepError } from '../core/errors.js';

/**
 * The Redis behind `--queue`: `redis://[user:pass@]host:port[/db]` or `rediss://` (TLS), checked at the
 * boundary. ioredis (inside BullMQ) retries a dead address forever, so every command probes the server once
 * (`probeRedis`) and fails in a second or two with the URL and how to start a Redis instead of hanging.
 */
export interface RedisTarget {
  /** The URL as given, with the password masked: what messages show. */
  readonly display: string;
  readonly host: string;
  readonly port: number;
  readonly db: number;
  readonly tls: boolean;
  readonly username?: string;
  readonly password?: string;
}

const EXAMPLE = 'redis://127.0.0.1:6379 (or redis://user:password@host:6379/0, rediss:// for TLS)';

function bad(text: string, flag: string, why: string): WideDeepError {
  return new WideDeepError('CONFIG', `${flag} ${text} is not a Redis URL: ${why}`, { field: flag, fix: `give ${flag} ${EXAMPLE}` });
}

/** Parses and checks a Redis URL; `flag` names the option in messages (`--queue`). */
export function parseRedisUrl(text: string, flag = '--queue'): RedisTarget {
  let u: URL;
  try {
    u = new URL(text);
  } catch (err) {
    throw bad(text, flag, (err as Error).message);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw bad(text, flag, `the scheme is ${u.protocol.replace(/:$/, '')}, not redis or rediss`);
  if (u.hostname === '') throw bad(text, flag, 'no host');
  if (u.port === '') throw bad(text, flag, 'no port (Redis listens on 6379 by default: write it out)');
  if (u.search !== '' || u.hash !== '') throw bad(text, flag, 'query strings and fragments are not supported');
  const path = u.pathname.replace(/^\//, '');
  if (path !== '' && !/^\d+$/.test(path)) throw bad(text, flag, `the path /${path} is not a database number`);
  const db = path === '' ? 0 : Number(path);
  const username = decodeURIComponent(u.username);
  const password = decodeURIComponent(u.password);
  const display = u.password !== '' ? text.replace(`:${u.password}@`, ':***@') : text;
  return {
    display,
    host: u.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: Number(u.port),
    db,
    tls: u.protocol === 'rediss:',
    ...(username !== '' ? { username } : {}),
    ...(password !== '' ? { password } : {}),
  };
}

/**
 * ioredis options for BullMQ. `maxRetriesPerRequest: null` is what BullMQ's workers require: a command waits
 * through a Redis restart instead of failing the job.
 */
export function connectionOptions(t: RedisTarget): ConnectionOptions {
  return {
    host: t.host,
    port: t.port,
    db: t.db,
    maxRetriesPerRequest: null,
    ...(t.username !== undefined ? { username: t.username } : {}),
    ...(t.password !== undefined ? { password: t.password } : {}),
    ...(t.tls ? { tls: { servername: t.host } } : {}),
  };
}

/** One RESP command as an array of bulk strings. */
function resp(args: readonly string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
}

/**
 * Connects once, authenticates and PINGs, within `timeoutMs`; throws a WideDeepError that names the URL and
 * the fix when nothing answers, the password is refused or the server is not Redis.
 */
export function probeRedis(t: RedisTarget, timeoutMs = 3000, flag = '--queue'): Promise<void> {
  const commands = [...(t.password !== undefined ? [resp(t.username !== undefined ? ['AUTH', t.username, t.password] : ['AUTH', t.password])] : []), resp(['PING'])];
  return new Promise((ok, fail) => {
    const socket: Socket = t.tls ? tlsConnect({ host: t.host, port: t.port, servername: t.host }) : netConnect({ host: t.host, port: t.port });
    let reply = '';
    let settled = false;
    const done = (err: WideDeepError | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) fail(err);
      else ok();
    };
    const noRedis = (why: string) =>
      new WideDeepError('IO', `no Redis at ${t.display} (${why})`, { field: flag, fix: `start one with \`redis-server --port ${t.port}\` on ${t.host}, or give ${flag} the URL of a running Redis` });
    const timer = setTimeout(() => done(noRedis(`no answer within ${timeoutMs} ms`)), timeoutMs);
    socket.once('error', (err: NodeJS.ErrnoException) => done(noRedis(err.code ?? err.message)));
    socket.once(t.tls ? 'secureConnect' : 'connect', () => socket.write(commands.join('')));
    socket.on('data', (d: Buffer) => {
      reply += d.toString();
      const lines = reply.split('\r\n').slice(0, -1);
      const refused = lines.find((l) => l.startsWith('-'));
      if (refused !== undefined) {
        done(new WideDeepError('IO', `the Redis at ${t.display} refused: ${refused.slice(1)}`, { field: flag, fix: `give ${flag} the right user and password: redis://user:password@${t.host}:${t.port}` }));
      } else if (lines.length >= commands.length) {
        done(lines[lines.length - 1] === '+PONG' ? null : noRedis(`it answered ${JSON.stringify(lines.join(' ').slice(0, 80))} to PING, not +PONG`));
      }
    });
  });
}
