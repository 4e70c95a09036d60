import { THREADS_OPTION } from '../args.js';

/**
 * The flags of `widedeep eval`: what src/cli/evaluate.ts parses with flags() and what --help lists, one table.
 * Apart from that module, so that the command table (src/cli/main.ts) holds it without loading the command's
 * modules.
 */
export const EVAL_OPTIONS = {
  model: { type: 'string', value: 'dir', required: true, help: 'the model bundle' },
  input: { type: 'string', value: 'file', help: 'a labeled CSV, Parquet or JSON-lines file to score', shown: "the test split of the bundle's config" },
  'data-dir': { type: 'string', value: 'dir', help: 'where the built-in datasets live', shown: '$WIDEDEEP_DATA_DIR, else ../shared/data' },
  json: { type: 'boolean', default: false, help: 'one JSON line on stdout; errors as JSON on stderr' },
  'on-bad-row': { type: 'string', value: 'error|skip', help: 'stop at a malformed row, or leave it out and count it', shown: 'error' },
  threshold: { type: 'string', value: 'p', help: 'binary models: the decision threshold of accuracy, precision, recall and F1, in (0, 1)', shown: "the config's train.threshold (0.5)" },
  ...THREADS_OPTION,
} as const;
