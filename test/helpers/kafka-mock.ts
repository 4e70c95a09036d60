import { spawn, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { stopChild } from './daemon.js';

/**
 * librdkafka's in-process mock Kafka cluster (3 brokers), started by kafka-mock.py under Debian's
 * python3-confluent-kafka, for the train-stream tests: KafkaJS produces and consumes against it like against
 * real brokers. Topics are created by a first metadata request or produce (auto-create, 4 partitions; the mock
 * refuses KafkaJS's CreateTopics). Where the module is absent, tests skip with `KAFKA_SKIP` as their one line.
 */
const PYTHON = '/usr/bin/python3';
export const HAVE_KAFKA_MOCK = spawnSync(PYTHON, ['-c', 'import confluent_kafka'], { stdio: 'ignore' }).status === 0;
export const KAFKA_SKIP = HAVE_KAFKA_MOCK ? '' : ' (skipped: no librdkafka mock cluster; apt-get install -y python3-confluent-kafka)';

export interface KafkaMock {
  /** Comma-separated bootstrap servers. */
  readonly bootstrap: string;
  /** Produces JSON events to one partition of a topic, in order (the topic is created by the first produce). */
  produce(topic: string, events: readonly unknown[], partition?: number): Promise<void>;
  /** Ends the cluster (closes the script's stdin, then SIGKILL after 3 s). */
  stop(): Promise<void>;
}

/** Starts a mock cluster and waits for its bootstrap address. */
export async function startKafkaMock(): Promise<KafkaMock> {
  const child = spawn(PYTHON, [resolve(import.meta.dirname, 'kafka-mock.py')], { stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-5000)));
  const line = await new Promise<string>((ok, fail) => {
    let buf = '';
    const timer = setTimeout(() => fail(new Error(`kafka-mock.py printed no address in 20 s: ${err}`)), 20_000);
    child.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      if (buf.includes('\n')) {
        clearTimeout(timer);
        ok(buf.slice(0, buf.indexOf('\n')));
      }
    });
    child.once('exit', (code) => fail(new Error(`kafka-mock.py exited with ${code}: ${err}`)));
  });
  const bootstrap = (JSON.parse(line) as { bootstrap: string }).bootstrap;
  const kafka = new Kafka({ clientId: 'test-producer', brokers: bootstrap.split(','), logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  await producer.connect();
  return {
    bootstrap,
    async produce(topic, events, partition = 0) {
      for (let i = 0; i < events.length; i += 500) {
        const messages = events.slice(i, i + 500).map((e) => ({ value: typeof e === 'string' ? e : JSON.stringify(e), partition }));
        await producer.send({ topic, messages, acks: -1 });
      }
    },
    async stop() {
      await producer.disconnect();
      await stopChild(child, () => child.stdin?.end());
    },
  };
}
