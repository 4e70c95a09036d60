/**
 * The flags of `widedeep inspect`: what src/cli/inspect.ts parses with flags() and what --help lists, one table.
 * Apart from that module, so that the command table (src/cli/main.ts) holds it without loading the command's
 * modules.
 */
export const INSPECT_OPTIONS = {
  model: { type: 'string', value: 'dir', required: true, help: 'the model bundle' },
  json: { type: 'boolean', default: false, help: 'one JSON object on stdout; errors as JSON on stderr' },
  top: { type: 'string', value: 'k', help: 'strongest wide weights to list', shown: '15' },
} as const;
