/**
 * The exported ONNX graph (src/artifact/onnx-export.ts) against `WideDeepModel.predict`, same model, same
 * batches, in this process: one JSON line on stdout.
 *
 *   npx tsx bench/onnx-export-case.ts [--seed 1] [--calls 400]
 *
 * Trains `examples/synthetic.yaml` for one epoch, exports it, and scores test-row batches of 1, 100 and 1000
 * rows one call at a time (50 warm-up calls): `predict` (gathers and the wide logit in TypeScript, the dense
 * graph in ONNX Runtime) against the exported graph in an ONNX Runtime session of 2 intra-op threads, timed
 * with `onnxFeeds` (building its padded int64 inputs from the batch) included. Reports p50 / p99 ms per call.
 */
import { parseArgs } from 'node:util';
import { join, resolve } from 'node:path';
import { exportOnnx, onnxFeeds } from '../src/artifact/onnx-export.js';
import { sliceRows } from '../src/data/index.js';
import { transform } from '../src/features/transform.js';
import { modelBatchOf } from '../src/model/from-spec.js';
import type { ModelBatch } from '../src/model/sizes.js';
import { nodeExecutor } from '../src/runtime/index.js';
import { fitRun } from '../src/train/pipeline.js';
import { loadRunConfig, parseRunConfig } from '../src/train/run-config.js';

const ROOT = resolve(import.meta.dirname, '..');
const { values } = parseArgs({ options: { seed: { type: 'string', default: '1' }, calls: { type: 'string', default: '400' } } });
const CALLS = Number(values.calls);

async function time(batches: readonly ModelBatch[], score: (b: ModelBatch) => Promise<unknown>): Promise<{ p50_ms: number; p99_ms: number }> {
  for (let i = 0; i < 50; i++) await score(batches[i % batches.length]!);
  const lat: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    const t = performance.now();
    await score(batches[i % batches.length]!);
    lat.push(performance.now() - t);
  }
  lat.sort((a, b) => a - b);
  return { p50_ms: lat[Math.floor(lat.length / 2)]!, p99_ms: lat[Math.floor(lat.length * 0.99)]! };
}

const base = await loadRunConfig(join(ROOT, 'examples/synthetic.yaml'));
const config = parseRunConfig({ ...(base.raw as Record<string, unknown>), seed: Number(values.seed), train: { ...(base.raw as { train: object }).train, epochs: 1 } });
const outcome = await fitRun(config);
const { bytes, layout } = exportOnnx(outcome.model);
const session = await nodeExecutor.createSession(bytes, { threads: 2 });
const exported = (b: ModelBatch): Promise<unknown> => session.run(onnxFeeds(layout, b), { prediction: null });
const test = outcome.data.test;
const results: Record<string, unknown> = {};
for (const bs of [1, 100, 1000]) {
  const batches = Array.from({ length: 20 }, (_, i) => {
    const from = (i * bs) % Math.max(1, test.numRows - bs);
    return modelBatchOf(transform(outcome.spec, sliceRows(test, from, from + bs), { mode: 'serve' }));
  });
  results[String(bs)] = { predict: await time(batches, (b) => outcome.model.predict(b)), exported: await time(batches, exported) };
}
await session.release();
await outcome.model.release();
process.stdout.write(`${JSON.stringify({ case: 'onnx_export', onnx_bytes: bytes.length, batches: results, node: process.version })}\n`);
