/**
 * The flags of `widedeep init`: what src/cli/init.ts parses with flags() and what --help lists, one table.
 * Apart from that module, so that the command table (src/cli/main.ts) holds it without loading the command's
 * modules.
 */
export const INIT_OPTIONS = {
  data: { type: 'string', value: 'file', required: true, help: 'the training data to look at (CSV, Parquet or JSON lines)' },
  label: { type: 'string', value: 'column', required: true, help: 'the column to predict (its values decide binary, regression or multi-class)' },
  out: { type: 'string', value: 'file', help: 'where the config goes', shown: 'config.yaml' },
  test: { type: 'string', value: 'file', help: 'a test file for data.test, read like --data (default: 20% of --data held out)' },
  delimiter: { type: 'string', value: 'd', help: 'CSV field delimiter', shown: 'from the extension, else detected' },
  'no-header': { type: 'boolean', default: false, help: 'the CSV has no header line (give --column-names)' },
  'column-names': { type: 'string', value: 'a,b,...', help: 'column names, comma-separated' },
  'null-values': { type: 'string', value: 'x,y,...', help: 'values that mean missing, comma-separated', shown: 'the empty string' },
  'skip-lines': { type: 'string', value: 'n', help: 'lines to skip before the header or first row' },
  force: { type: 'boolean', default: false, help: 'overwrite --out if it exists' },
} as const;
