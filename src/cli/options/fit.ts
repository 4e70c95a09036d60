import { THREADS_OPTION } from '../args.js';

/**
 * The flags of `widedeep fit`: what src/cli/fit.ts parses with flags() and what --help lists, one table.
 * Apart from that module, so that the command table (src/cli/main.ts) holds it without loading the command's
 * modules.
 */
export const FIT_OPTIONS = {
  config: { type: 'string', value: 'file', required: true, help: 'the run config, YAML or JSON (docs/CONFIG.md)' },
  'data-dir': { type: 'string', value: 'dir', help: 'where the built-in datasets live', shown: '$WIDEDEEP_DATA_DIR, else ../shared/data' },
  out: { type: 'string', value: 'dir', help: 'where the bundle (<dir>/model) and checkpoints go', shown: 'runs/<config name>' },
  seed: { type: 'string', value: 'n', help: "overrides the config's seed" },
  epochs: { type: 'string', value: 'n', help: "overrides train.epochs, >= 1" },
  json: { type: 'boolean', default: false, help: 'JSON lines on stdout (one per epoch, a final one); warnings and errors as JSON on stderr' },
  resume: { type: 'boolean', default: false, help: 'continue the run in --out from its last checkpoint' },
  'warm-start': { type: 'string', value: 'bundle-dir', help: "start from a bundle's weights where the features match" },
  'save-optimizer-state': { type: 'boolean', default: false, help: 'keep the optimizer state in the bundle (to warm-start from it later)' },
  report: { type: 'boolean', default: false, help: "also write <out>/report.html, the run's page: metrics, learning curves, ROC, PR, calibration, score histogram, feature importance (needs vega, vega-lite)" },
  ...THREADS_OPTION,
} as const;
