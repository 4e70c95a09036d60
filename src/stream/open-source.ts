import { KafkaSource } from './kafka-source.js';
import { NatsSource } from './nats-source.js';
import type { EventSource } from './event-source.js';
import type { SourceUrl } from './source-url.js';

/** The EventSource of a parsed `--source` URL; `group` is the Kafka consumer group (JetStream's ordered consumer needs none). */
export function openSource(url: SourceUrl, o: { readonly group: string; readonly sessionTimeoutMs?: number; readonly log: (line: string) => void }): EventSource {
  if (url.kind === 'kafka') return new KafkaSource({ brokers: url.brokers, topic: url.topic, groupId: o.group, log: o.log, ...(o.sessionTimeoutMs !== undefined ? { sessionTimeoutMs: o.sessionTimeoutMs } : {}) });
  return new NatsSource({ servers: url.servers, stream: url.stream, subject: url.subject, log: o.log });
}
