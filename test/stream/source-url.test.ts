import { describe, expect, it } from 'vitest';
import { WideDeepError } from '../../src/core/errors.js';
import { parseSourceUrl } from '../../src/stream/source-url.js';

describe('parseSourceUrl', () => {
  it('reads Kafka brokers and topic, with the default port', () => {
    expect(parseSourceUrl('kafka://b1:9093,b2/clicks')).toEqual({ kind: 'kafka', brokers: ['b1:9093', 'b2:9092'], topic: 'clicks', url: 'kafka://b1:9093,b2/clicks' });
  });

  it('reads a JetStream stream and its subject filter', () => {
    expect(parseSourceUrl('nats://127.0.0.1/CLICKS?subject=clicks.>')).toMatchObject({ kind: 'nats', servers: ['127.0.0.1:4222'], stream: 'CLICKS', subject: 'clicks.>' });
    expect(parseSourceUrl('nats://h:1/S')).toMatchObject({ subject: null });
  });

  it.each([
    ['redis://h/x', 'unknown scheme'],
    ['kafka:///clicks', 'no broker address'],
    ['kafka://h:99999/clicks', 'out of range'],
    ['kafka://h:9092', 'one topic name'],
    ['kafka://h:9092/a/b', 'one topic name'],
    ['kafka://h/clicks?x=1', 'no query parameters'],
    ['nats://h/S?topic=a', 'unknown query parameter topic'],
    ['nats://h/S?subject=', 'subject= is empty'],
    ['nats://h/bad.name', 'not a valid JetStream stream name'],
    ['clicks', 'not a URL'],
  ])('refuses %s naming the mistake and the fix', (url, message) => {
    let err: unknown;
    try {
      parseSourceUrl(url);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(WideDeepError);
    expect((err as WideDeepError).message).toContain(message);
    expect((err as WideDeepError).details.field).toBe('--source');
    expect((err as WideDeepError).details.fix).toBeTruthy();
  });
});
