import { THREADS_OPTION } from '../args.js';

/**
 * The flags of `widedeep train-stream`: what src/cli/train-stream.ts parses with flags() and what --help lists, one table.
 * Apart from that module, so that the command table (src/cli/main.ts) holds it without loading the command's
 * modules.
 */
export const TRAIN_STREAM_OPTIONS = {
  config: { type: 'string', value: 'file', required: true, help: 'the run config: features, model, train.batchSize and optimizers (docs/CONFIG.md)' },
  source: { type: 'string', value: 'url', required: true, help: 'kafka://broker:9092,broker2:9092/topic or nats://host:4222/stream[?subject=s]' },
  out: { type: 'string', value: 'dir', required: true, help: 'the run directory: <dir>/checkpoint (model + positions) and <dir>/model (what serve --watch follows)' },
  group: { type: 'string', value: 'id', help: 'Kafka consumer group (one trainer per group)', shown: 'widedeep-<basename of --out>' },
  'session-timeout-seconds': { type: 'string', value: 't', help: "Kafka: how soon the group gives a dead trainer's partitions to its restart", shown: '30' },
  'warm-start': { type: 'string', value: 'bundle-dir', help: "on a first start, take the feature spec and weights from this bundle instead of fitting the spec on the config's data" },
  'checkpoint-every-events': { type: 'string', value: 'n', help: 'checkpoint after this many events' },
  'checkpoint-every-seconds': { type: 'string', value: 't', help: 'checkpoint at least this often while events come', shown: '60' },
  'publish-every-events': { type: 'string', value: 'n', help: 'publish a new version of <out>/model after this many events (a checkpoint comes first)' },
  'publish-every-seconds': { type: 'string', value: 't', help: 'publish at least this often while events come', shown: '60' },
  'max-events': { type: 'string', value: 'n', help: 'stop after reading this many events' },
  'idle-exit-seconds': { type: 'string', value: 't', help: 'stop once no event has come for this long' },
  'linger-ms': { type: 'string', value: 'ms', help: 'how long a partial mini-batch waits for more events before training', shown: '500' },
  'id-field': { type: 'string', value: 'name', help: "the event field the ledger's checksum sums", shown: 'id' },
  'on-bad-row': { type: 'string', value: 'error|skip', help: "a bad event stops the run naming its partition and offset (error), or is left out and counted (skip)", shown: "the config's features.onBadRow" },
  json: { type: 'boolean', default: false, help: 'JSON lines on stdout (progress, a final one)' },
  ...THREADS_OPTION,
} as const;
