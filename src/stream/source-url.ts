import { WideDeepError } from '../core/errors.js';

/**
 * Where `widedeep train-stream --source` reads its events, parsed from a URL:
 *
 *   kafka://b1:9092,b2:9092/topic           brokers (bootstrap list) and one topic
 *   nats://host:4222/stream?subject=a.>      a JetStream stream, optionally filtered to a subject
 *
 * A missing port takes the protocol's default (9092, 4222). Every mistake is an error naming the URL part
 * and an example of the right form.
 */
export type SourceUrl =
  | { readonly kind: 'kafka'; readonly brokers: readonly string[]; readonly topic: string; readonly url: string }
  | { readonly kind: 'nats'; readonly servers: readonly string[]; readonly stream: string; readonly subject: string | null; readonly url: string };

const EXAMPLES = 'kafka://127.0.0.1:9092/clicks or nats://127.0.0.1:4222/CLICKS?subject=clicks.>';
const DEFAULT_PORT: Record<string, number> = { kafka: 9092, nats: 4222 };

function urlError(url: string, message: string, fix = `give --source as ${EXAMPLES}`): WideDeepError {
  return new WideDeepError('CONFIG', `--source ${url}: ${message}`, { field: '--source', fix });
}

/** `host:port` list of a URL's authority, each with the default port when it has none. */
function hostsOf(url: string, authority: string, scheme: string): string[] {
  if (authority === '') throw urlError(url, `no ${scheme === 'kafka' ? 'broker' : 'server'} address before the path`);
  return authority.split(',').map((h) => {
    const m = /^([A-Za-z0-9.\-_]+|\[[0-9a-fA-F:]+\])(?::(\d{1,5}))?$/.exec(h);
    if (m === null) throw urlError(url, `'${h}' is not a host or host:port`);
    const port = m[2] === undefined ? DEFAULT_PORT[scheme] : Number(m[2]);
    if (port === undefined || port < 1 || port > 65535) throw urlError(url, `port ${m[2]} is out of range 1..65535`);
    return `${m[1]}:${port}`;
  });
}

/** Parses a `--source` URL (see SourceUrl). */
export function parseSourceUrl(url: string): SourceUrl {
  const m = /^([a-z]+):\/\/([^/?#]*)(\/[^?#]*)?(?:\?([^#]*))?$/.exec(url);
  if (m === null) throw urlError(url, 'not a URL of the form scheme://hosts/name');
  const scheme = m[1] as string;
  if (scheme !== 'kafka' && scheme !== 'nats') throw urlError(url, `unknown scheme ${scheme}:// (kafka:// or nats://)`);
  const hosts = hostsOf(url, m[2] as string, scheme);
  const name = decodeURIComponent((m[3] ?? '').replace(/^\//, ''));
  const what = scheme === 'kafka' ? 'topic' : 'stream';
  if (name === '' || name.includes('/')) throw urlError(url, `the path must be one ${what} name, got '${name}'`);
  const query = new URLSearchParams(m[4] ?? '');
  const keys = [...query.keys()];
  if (scheme === 'kafka') {
    if (!/^[A-Za-z0-9._-]{1,249}$/.test(name)) throw urlError(url, `'${name}' is not a valid Kafka topic name (letters, digits, . _ -)`);
    if (keys.length > 0) throw urlError(url, `kafka:// takes no query parameters, got ${keys.join(', ')}`);
    return { kind: 'kafka', brokers: hosts, topic: name, url };
  }
  if (!/^[A-Za-z0-9_-]+$/.test(name)) throw urlError(url, `'${name}' is not a valid JetStream stream name (letters, digits, _ -)`);
  const unknown = keys.filter((k) => k !== 'subject');
  if (unknown.length > 0) throw urlError(url, `unknown query parameter ${unknown.join(', ')} (nats:// takes ?subject=)`);
  const subject = query.get('subject');
  if (subject === '') throw urlError(url, 'subject= is empty', 'leave ?subject= out to read the whole stream, or name a subject');
  return { kind: 'nats', servers: hosts, stream: name, subject, url };
}
