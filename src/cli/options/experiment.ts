import { THREADS_OPTION } from '../args.js';

/**
 * The flags of `widedeep experiment`: what src/cli/experiment.ts parses with flags() and what --help lists, one table.
 * Apart from that module, so that the command table (src/cli/main.ts) holds it without loading the command's
 * modules.
 */
export const EXPERIMENT_OPTIONS = {
  suite: { type: 'string', value: 'name|file.yaml', required: true, help: 'a built-in suite (examples/suites/) or a suite file (docs/EXPERIMENTS.md)' },
  out: { type: 'string', value: 'results.jsonl', help: 'the results file, one line per trial; a rerun resumes it', shown: 'runs/experiments/<suite>.jsonl' },
  workers: { type: 'string', value: 'n', help: 'trials run at once, each in its own process', shown: '1' },
  queue: { type: 'string', value: 'redis://host:port', help: 'put the trials on a BullMQ queue for `widedeep worker` processes instead of running them here (not with --workers)' },
  'queue-prefix': { type: 'string', value: 'name', help: 'Redis key prefix of the queue (as the workers were given it)', shown: 'widedeep' },
  ...THREADS_OPTION,
  markdown: { type: 'boolean', default: false, help: 'print the results table as Markdown' },
  'data-dir': { type: 'string', value: 'dir', help: 'where the built-in datasets live', shown: '$WIDEDEEP_DATA_DIR, else ../shared/data' },
} as const;

/**
 * The flags of `widedeep report`: what src/cli/experiment.ts parses with flags() and what --help lists, one table.
 * Apart from that module, so that the command table (src/cli/main.ts) holds it without loading the command's
 * modules.
 */
export const REPORT_OPTIONS = {
  out: { type: 'string', value: 'dir', help: 'where index.html and the SVG charts go', shown: 'report' },
  table: { type: 'boolean', default: false, help: 'print the results table instead of writing the report' },
} as const;
