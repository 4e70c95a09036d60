import { THREADS_OPTION } from '../args.js';

/**
 * The flags of `widedeep predict`: what src/cli/predict.ts parses with flags() and what --help lists, one table.
 * Apart from that module, so that the command table (src/cli/main.ts) holds it without loading the command's
 * modules.
 */
export const PREDICT_OPTIONS = {
  model: { type: 'string', value: 'dir', required: true, help: 'the model bundle' },
  input: { type: 'string', value: 'file|-', required: true, help: 'a CSV, Parquet or JSON-lines file, or - for JSON rows on stdin' },
  explain: { type: 'boolean', default: false, help: 'break each prediction down into wide terms and the deep part' },
  'top-k': { type: 'string', value: 'k', help: 'wide terms each explanation lists (with --explain)', shown: '5' },
  'batch-size': { type: 'string', value: 'n', help: 'rows scored at a time', shown: '1024' },
  'on-bad-row': { type: 'string', value: 'error|skip', help: 'stop at a bad row (exit 3 after earlier predictions), or leave it out and count it', shown: 'error' },
  ...THREADS_OPTION,
} as const;
