/**
 * The flags of `widedeep demo`: what src/cli/demo.ts parses with flags() and what --help lists, one table.
 * Apart from that module, so that the command table (src/cli/main.ts) holds it without loading the command's
 * modules.
 */
export const DEMO_OPTIONS = {
  out: { type: 'string', value: 'dir', help: 'where the bundle goes (<dir>/model)', shown: 'widedeep-demo' },
  rows: { type: 'string', value: 'n', help: 'synthetic impressions to generate', shown: '100000' },
  epochs: { type: 'string', value: 'n', help: 'training epochs, >= 1', shown: "examples/synthetic.yaml's" },
  seed: { type: 'string', value: 'n', help: 'seed of the data, the split and the model', shown: "examples/synthetic.yaml's" },
  json: { type: 'boolean', default: false, help: 'JSON lines on stdout (one per epoch, a final one); errors as JSON on stderr' },
} as const;
