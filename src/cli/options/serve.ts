import { THREADS_OPTION } from '../args.js';
import { DEFAULT_BATCH, DEFAULT_DRAIN_SECONDS, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_ROWS } from '../../serve/defaults.js';

/**
 * The flags of `widedeep serve`: what src/cli/serve.ts parses with flags() and what --help lists, one table.
 * Apart from that module, so that the command table (src/cli/main.ts) holds it without loading the command's
 * modules.
 */
export const SERVE_OPTIONS = {
  model: { type: 'string', value: 'dir', required: true, help: 'the model bundle (a directory with a `current` pointer follows its current version)' },
  host: { type: 'string', default: '127.0.0.1', value: 'host', help: 'the address to listen on' },
  port: { type: 'string', value: 'port', help: 'the port to listen on (0: any free port)', shown: '8080' },
  'max-rows': { type: 'string', value: 'n', help: 'rows one request may carry', shown: String(DEFAULT_MAX_ROWS) },
  'max-body-mb': { type: 'string', value: 'mb', help: 'largest request body, in MiB', shown: String(DEFAULT_MAX_BODY_BYTES / (1 << 20)) },
  watch: { type: 'boolean', help: 'reload the model when the bundle directory gets a new version' },
  workers: { type: 'string', value: 'n', help: 'worker processes serving on the one port (node:cluster), each with its own model', shown: '1' },
  'batch-max-rows': { type: 'string', value: 'n', help: 'most rows the micro-batcher puts in one model call', shown: String(DEFAULT_BATCH.maxRows) },
  'batch-wait-ms': { type: 'string', value: 'ms', help: 'longest a request waits for others to share its model call (0: no wait)', shown: String(DEFAULT_BATCH.maxWaitMs) },
  'drain-seconds': { type: 'string', value: 's', help: 'on SIGTERM, how long requests in flight may take before their connections are cut', shown: String(DEFAULT_DRAIN_SECONDS) },
  'cors-origin': { type: 'string', multiple: true, value: 'url', help: 'an origin browsers may call the server from (repeat for several; none by default)' },
  'log-level': { type: 'string', default: 'info', value: 'level', help: 'request log on stderr, one JSON line a request: info, warn, error or silent' },
  ...THREADS_OPTION,
} as const;
