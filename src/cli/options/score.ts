import { THREADS_OPTION } from '../args.js';
import { DEFAULT_RANGE_BYTES } from '../../score/defaults.js';

/**
 * The flags of `widedeep score`: what src/cli/score.ts parses with flags() and what --help lists, one table.
 * Apart from that module, so that the command table (src/cli/main.ts) holds it without loading the command's
 * modules.
 */
export const SCORE_OPTIONS = {
  model: { type: 'string', value: 'dir', required: true, help: 'the model bundle' },
  input: { type: 'string', value: 'file', required: true, help: 'a CSV, Parquet or JSON-lines file (any size: it is read in ranges, never whole)' },
  out: { type: 'string', value: 'file', required: true, help: 'the output Parquet file: row_id, the prediction column(s), the --keep columns, in input order (replaced only when the run succeeds)' },
  workers: { type: 'string', value: 'n', help: 'local worker threads scoring ranges in parallel (ignored with --queue)', shown: '1' },
  ...THREADS_OPTION,
  queue: { type: 'string', value: 'redis://host:port', help: 'score the ranges on `widedeep worker` processes through this Redis (they must see the same paths: a shared filesystem)' },
  'memory-mb': { type: 'string', value: 'm', help: "DuckDB's memory limit per worker, in MiB (at least ~48: DuckDB reads CSV in blocks of ~32 MB a thread); also sets the range size", shown: "DuckDB's default (80% of RAM)" },
  keep: { type: 'string', value: 'col,...', help: 'input columns carried into the output after the predictions (e.g. an id column)' },
  'on-bad-row': { type: 'string', value: 'error|skip', help: 'stop at a bad row (no output is written), or leave it out and count it', shown: 'error' },
  'batch-size': { type: 'string', value: 'n', help: 'rows scored at a time', shown: '1024' },
  ranges: { type: 'string', value: 'n', help: 'cut the input into about n ranges', shown: 'ranges of --range-mb' },
  'range-mb': { type: 'string', value: 'm', help: 'MiB of input per range (Parquet: of row groups); a range\'s outputs wait in DuckDB until it ends', shown: `${DEFAULT_RANGE_BYTES >> 20}, or a quarter of --memory-mb` },
  json: { type: 'boolean', default: false, help: 'progress as JSON lines on stderr, and one JSON line with the counts and seconds on stdout' },
} as const;
