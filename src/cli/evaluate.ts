import { loadBundle } from '../artifact/bundle.js';
import { readAll } from '../data/index.js';
import { evalSetOf, loadRunData } from '../train/pipeline.js';
import { parseRunConfig } from '../train/run-config.js';
import { evaluateModel } from '../train/trainer.js';
import { flags, out, required } from './args.js';
import { metricsTable } from './fit.js';

const OPTIONS = {
  model: { type: 'string' },
  input: { type: 'string' },
  'data-dir': { type: 'string' },
  json: { type: 'boolean', default: false },
} as const;

/** Evaluates a bundle on the test split of the config it was trained with, or on a labeled file. */
export async function evaluate(argv: string[]): Promise<number> {
  const { values } = flags('eval', argv, OPTIONS);
  const dir = required('eval', values.model, 'model');
  const { model, bundle } = await loadBundle(dir);
  try {
    let rows;
    let users: string | null = null;
    if (values.input !== undefined) rows = (await readAll({ path: values.input })).data;
    else {
      const config = parseRunConfig(bundle.manifest.config, `${dir}/manifest.json`);
      const data = await loadRunData(values['data-dir'] !== undefined ? { ...config.data, dataDir: values['data-dir'] } : config.data, config.seed);
      rows = data.test;
      users = data.userColumn;
    }
    const metrics = await evaluateModel(model, evalSetOf(bundle.spec, rows, users));
    out(values.json ? JSON.stringify({ event: 'eval', source: rows.source, rows: rows.numRows, metrics }) : metricsTable(`eval (${rows.numRows} rows)`, metrics));
  } finally {
    await model.release();
  }
  return 0;
}
