import { loadBundle } from '../artifact/bundle.js';
import { type ReadSummary, openTable } from '../data/index.js';
import { evalOptionsOf, evalSetOf } from '../train/pipeline.js';
import { loadRunData, skippedLine } from '../train/run-data.js';
import { parseRunConfig } from '../train/run-config.js';
import { StreamData, transformed } from '../train/stream-source.js';
import { type Metrics, evaluateBatches, evaluateModel } from '../train/trainer.js';
import { THREADS_OPTION, badRowFlag, flags, log, out, required, threadsFlag } from './args.js';
import { metricsTable } from './fit.js';

const OPTIONS = {
  model: { type: 'string' },
  input: { type: 'string' },
  'data-dir': { type: 'string' },
  json: { type: 'boolean', default: false },
  'on-bad-row': { type: 'string' },
  ...THREADS_OPTION,
} as const;

/**
 * Evaluates a bundle on the test split of the config it was trained with, or on a labeled file. A file
 * (`--input`) and the test rows of a stream-mode config are read in chunks and scored as they come, so
 * memory does not grow with the file; an in-memory config's test split is read whole, with users for the
 * per-user ranking metrics.
 */
export async function evaluate(argv: string[]): Promise<number> {
  const { values } = flags('eval', argv, OPTIONS);
  const dir = required('eval', values.model, 'model');
  const threads = threadsFlag(values.threads);
  const { model, bundle } = await loadBundle(dir, threads !== undefined ? { threads } : {});
  try {
    const spec = bundle.spec;
    const onBadRow = badRowFlag(values['on-bad-row']);
    let result: { source: string; rows: number; metrics: Metrics; reads: readonly ReadSummary[] };
    if (values.input !== undefined) {
      const reader = await openTable({ path: values.input, onBadRow: onBadRow ?? 'error' });
      const metrics = await evaluateBatches(model, transformed(spec, reader.chunks({ worker: true })), evalOptionsOf(spec));
      result = { source: values.input, rows: reader.summary.rowsRead, metrics, reads: [reader.summary] };
    } else {
      const config = parseRunConfig(bundle.manifest.config, `${dir}/manifest.json`);
      const data = { ...config.data, ...(values['data-dir'] !== undefined ? { dataDir: values['data-dir'] } : {}), ...(onBadRow !== undefined ? { onBadRow } : {}) };
      if (data.stream !== undefined) {
        // The test rows are a seeded hash of the row number, whatever the validation share was.
        const stream = await StreamData.open(data, config.seed, 0);
        const metrics = await evaluateBatches(model, stream.testBatches(spec), evalOptionsOf(spec));
        result = { source: stream.testSource, rows: stream.testRowsRead, metrics, reads: [stream.testSummary] };
      } else {
        const split = await loadRunData(data, config.seed);
        result = { source: split.test.source, rows: split.test.numRows, metrics: await evaluateModel(model, evalSetOf(spec, split.test, split.userColumn)), reads: split.reads ?? [] };
      }
    }
    const { source, rows, metrics, reads } = result;
    const rowsSkipped = reads.reduce((n, r) => n + r.rowsSkipped, 0);
    const skipped = skippedLine(reads);
    if (skipped !== null) log(skipped);
    out(values.json ? JSON.stringify({ event: 'eval', source, rows, rowsSkipped, metrics }) : metricsTable(`eval (${rows} rows${rowsSkipped > 0 ? `, ${rowsSkipped} bad rows skipped` : ''})`, metrics));
  } finally {
    await model.release();
  }
  return 0;
}
