import { loadBundle } from '../artifact/bundle.js';
import { openTable } from '../data/index.js';
import { evalOptionsOf, evalSetOf, loadRunData } from '../train/pipeline.js';
import { parseRunConfig } from '../train/run-config.js';
import { StreamData, transformed } from '../train/stream-source.js';
import { type Metrics, evaluateBatches, evaluateModel } from '../train/trainer.js';
import { flags, out, required } from './args.js';
import { metricsTable } from './fit.js';

const OPTIONS = {
  model: { type: 'string' },
  input: { type: 'string' },
  'data-dir': { type: 'string' },
  json: { type: 'boolean', default: false },
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
  const { model, bundle } = await loadBundle(dir);
  try {
    const spec = bundle.spec;
    let result: { source: string; rows: number; metrics: Metrics };
    if (values.input !== undefined) {
      const reader = await openTable({ path: values.input });
      const metrics = await evaluateBatches(model, transformed(spec, reader.chunks({ worker: true })), evalOptionsOf(spec));
      result = { source: values.input, rows: reader.summary.rowsRead, metrics };
    } else {
      const config = parseRunConfig(bundle.manifest.config, `${dir}/manifest.json`);
      const data = values['data-dir'] !== undefined ? { ...config.data, dataDir: values['data-dir'] } : config.data;
      if (data.stream !== undefined) {
        // The test rows are a seeded hash of the row number, whatever the validation share was.
        const stream = await StreamData.open(data, config.seed, 0);
        const metrics = await evaluateBatches(model, stream.testBatches(spec), evalOptionsOf(spec));
        result = { source: stream.testSource, rows: stream.testRowsRead, metrics };
      } else {
        const split = await loadRunData(data, config.seed);
        result = { source: split.test.source, rows: split.test.numRows, metrics: await evaluateModel(model, evalSetOf(spec, split.test, split.userColumn)) };
      }
    }
    const { source, rows, metrics } = result;
    out(values.json ? JSON.stringify({ event: 'eval', source, rows, metrics }) : metricsTable(`eval (${rows} rows)`, metrics));
  } finally {
    await model.release();
  }
  return 0;
}
