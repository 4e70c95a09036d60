import { DEFAULT_PORT } from '../../studio/defaults.js';

/**
 * The flags of `widedeep studio`: what src/cli/studio.ts parses with flags() and what --help lists, one table.
 * Apart from that module, so that the command table (src/cli/main.ts) holds it without loading the command's
 * modules.
 */
export const STUDIO_OPTIONS = {
  runs: { type: 'string', default: 'runs', value: 'dir', help: 'the folder walked for fits (run.json) and experiment results (*.jsonl)' },
  model: { type: 'string', value: 'dir', help: 'a model bundle for the model and what-if views (<out>/model of widedeep fit)' },
  host: { type: 'string', default: '127.0.0.1', value: 'address', help: 'the address to listen on (the studio has no authentication: keep it on loopback)' },
  port: { type: 'string', value: 'n', help: 'the port to listen on; 0 takes a free one', shown: String(DEFAULT_PORT) },
} as const;
