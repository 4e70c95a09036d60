/**
 * The flags of `widedeep export`: what src/cli/export.ts parses with flags() and what --help lists, one table.
 * Apart from that module, so that the command table (src/cli/main.ts) holds it without loading the command's
 * modules.
 */
export const EXPORT_OPTIONS = {
  model: { type: 'string', value: 'dir', required: true, help: 'the model bundle' },
  out: { type: 'string', value: 'model.onnx', required: true, help: 'the .onnx file to write (and <out>.json, which input is which bag)' },
} as const;
