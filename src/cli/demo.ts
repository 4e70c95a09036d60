import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadBundle } from '../artifact/bundle.js';
import { sliceRows } from '../data/index.js';
import { transform } from '../features/transform.js';
import { explainBatch } from '../model/explain.js';
import { modelBatchOf } from '../model/from-spec.js';
import { loadRunConfig } from '../train/run-config.js';
import { epochsFlag, flags, intFlag, log, out } from './args.js';
import { fitCommand, metricsTable, withOverrides } from './fit.js';
import { DEMO_OPTIONS } from './options/demo.js';

/** The packaged example configs (examples/ ships with the package). */
export const EXAMPLES_DIR = resolve(fileURLToPath(import.meta.url), '../../../examples');

/**
 * The main job on the embedded default: train Wide & Deep on the synthetic app-store log (no download),
 * evaluate it, save the bundle, reload it and explain one prediction.
 */
export async function demo(argv: string[]): Promise<number> {
  const { values } = flags('demo', argv, DEMO_OPTIONS);
  let config = withOverrides(await loadRunConfig(resolve(EXAMPLES_DIR, 'synthetic.yaml')), {
    ...(values.seed !== undefined ? { seed: intFlag(values.seed, 'seed') as number } : {}),
    ...(values.epochs !== undefined ? { epochs: epochsFlag(values.epochs) as number } : {}),
  });
  const rows = intFlag(values.rows, 'rows');
  if (rows !== undefined) config = { ...config, data: { ...config.data, rows } };
  const outDir = resolve(values.out ?? 'widedeep-demo');
  log(`widedeep demo: Wide & Deep on ${config.data.rows} synthetic app-store impressions (examples/synthetic.yaml)`);
  const outcome = await fitCommand(config, { outDir, json: values.json, resume: false, saveOptimizerState: false });
  await outcome.model.release();
  // Reload the saved bundle, as a server would, and explain one test impression.
  const { model, bundle } = await loadBundle(resolve(outDir, 'model'));
  const row = sliceRows(outcome.data.test, 0, 1);
  const [ex] = await explainBatch(model, bundle.spec, modelBatchOf(transform(bundle.spec, row, { mode: 'serve' })), 5, row);
  await model.release();
  if (values.json) {
    out(JSON.stringify({ event: 'final', model: resolve(outDir, 'model'), test: outcome.test, explanation: ex }));
    return 0;
  }
  out(metricsTable('test metrics', outcome.test));
  if (ex) {
    out(`\none test impression: P(install) = ${ex.prediction.toFixed(4)} = sigmoid(wide ${ex.wideLogit.toFixed(3)} + deep ${ex.deepLogit.toFixed(3)})`);
    out(`wide bias ${ex.wideBias.toFixed(3)}; strongest wide terms:`);
    for (const t of ex.top) out(`  ${t.contribution >= 0 ? '+' : ''}${t.contribution.toFixed(3)}  ${t.feature} = ${t.value}`);
  }
  const dir = resolve(outDir, 'model');
  out(`\nmodel bundle: ${dir}\n  inspect it: npx widedeep inspect --model ${dir}\n  serve it:   npx widedeep serve --model ${dir} --port 8080   (POST /predict {"rows": [...]})`);
  return 0;
}
