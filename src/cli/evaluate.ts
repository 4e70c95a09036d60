import { loadBundle } from '../artifact/bundle.js';
import { WideDeepError } from '../core/errors.js';
import { type ReadSummary, openTable } from '../data/index.js';
import { stringColumns } from '../features/checks.js';
import { evalOptionsOf, evalSetOf } from '../train/pipeline.js';
import { loadRunData, skippedLine, withBundleDataHint } from '../train/run-data.js';
import { parseRunConfig } from '../train/run-config.js';
import { StreamData, transformed } from '../train/stream-source.js';
import { type Metrics, evaluateBatches, evaluateModel } from '../train/trainer.js';
import { badRowFlag, flags, log, out, required, threadsFlag } from './args.js';
import { metricsTable } from './fit.js';
import { EVAL_OPTIONS } from './options/evaluate.js';

/** The value of `--threshold`: a number in (0, 1). */
function thresholdFlag(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const p = Number(value);
  if (value.trim() !== '' && p > 0 && p < 1) return p;
  throw new WideDeepError('CONFIG', `--threshold must be a number in (0, 1), got ${value}`, { field: '--threshold', fix: 'e.g. --threshold 0.2 (the bestF1Threshold of the validation metrics)' });
}

/**
 * Evaluates a bundle on the test split of the config it was trained with, or on a labeled file. A file
 * (`--input`) and the test rows of a stream-mode config are read in chunks and scored as they come, so
 * memory does not grow with the file; an in-memory config's test split is read whole, with users for the
 * per-user ranking metrics.
 */
export async function evaluate(argv: string[]): Promise<number> {
  const { values } = flags('eval', argv, EVAL_OPTIONS);
  const dir = required('eval', values.model, 'model');
  const threads = threadsFlag(values.threads);
  const { model, bundle } = await loadBundle(dir, threads !== undefined ? { threads } : {});
  try {
    const spec = bundle.spec;
    const onBadRow = badRowFlag(values['on-bad-row']);
    const threshold = thresholdFlag(values.threshold) ?? parseRunConfig(bundle.manifest.config, `${dir}/manifest.json`).train.threshold;
    let result: { source: string; rows: number; metrics: Metrics; reads: readonly ReadSummary[] };
    if (values.input !== undefined) {
      const reader = await openTable({ path: values.input, onBadRow: onBadRow ?? 'error', stringColumns: stringColumns(spec) });
      const metrics = await evaluateBatches(model, transformed(spec, reader.chunks({ worker: true })), { ...evalOptionsOf(spec), threshold });
      result = { source: values.input, rows: reader.summary.rowsRead, metrics, reads: [reader.summary] };
    } else {
      const config = parseRunConfig(bundle.manifest.config, `${dir}/manifest.json`);
      const data = { ...config.data, ...(values['data-dir'] !== undefined ? { dataDir: values['data-dir'] } : {}), ...(onBadRow !== undefined ? { onBadRow } : {}) };
      const fromBundle = <T>(read: () => Promise<T>): Promise<T> => withBundleDataHint(config.data, `${dir}/manifest.json`, read);
      if (data.stream !== undefined) {
        // The test rows are a seeded hash of the row number, whatever the validation share was.
        const stream = await fromBundle(() => StreamData.open(data, config.seed, 0, spec));
        const metrics = await evaluateBatches(model, stream.testBatches(spec), { ...evalOptionsOf(spec), threshold });
        result = { source: stream.testSource, rows: stream.testRowsRead, metrics, reads: [stream.testSummary] };
      } else {
        const split = await fromBundle(() => loadRunData(data, config.seed, spec));
        result = { source: split.test.source, rows: split.test.numRows, metrics: await evaluateModel(model, { ...evalSetOf(spec, split.test, split.userColumn), threshold }), reads: split.reads ?? [] };
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
