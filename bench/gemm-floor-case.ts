/**
 * The GEMM floor of an engine case: only the matrix products of one training step of its MLP (forward
 * x W for every layer, the weight gradient x^T dy and the input gradient dy W^T), as one ONNX Runtime graph
 * on the engine's settings (intra-op threads, no spinning). No step of the case can be faster than this on
 * ONNX Runtime, so `samples_per_s` (batch / GEMM time) divided by the peer's training samples/s is the
 * highest engine ratio the case can reach, however cheap the rest of the step becomes. One JSON line;
 * bench/torch_gemm_floor.py does the same products in PyTorch.
 *
 *   npx tsx bench/gemm-floor-case.ts --case small|criteo|criteo_small [--threads T] [--steps N] [--repeats R]
 */
import { parseArgs } from 'node:util';
import { Graph } from '../src/graph/builder.js';
import { encodeModel } from '../src/graph/encode.js';
import * as op from '../src/graph/ops.js';
import { Rng } from '../src/core/rng.js';
import type { ExecTensor } from '../src/runtime/executor.js';
import { availableCores } from '../src/runtime/cores.js';
import { nodeExecutor } from '../src/runtime/node.js';
import { CRITEO, SMALL, type TabularSpec } from './engine-case.js';

const SPECS: Record<string, TabularSpec> = { small: SMALL, criteo: CRITEO, criteo_small: { ...CRITEO, mlp: [256, 128, 64] } };

/** Layer widths of the case's network: its input (embeddings + numerics), hidden layers, the joint logit. */
export function layerWidths(spec: TabularSpec): number[] {
  return [spec.nCat * spec.dim + spec.nNum, ...spec.mlp, 1];
}

/** Multiply-adds of one training step's products: 3 per weight per example (the first layer's input gradient towards the numerics included, ~1%). */
export function stepMacs(spec: TabularSpec): number {
  const w = layerWidths(spec);
  let macs = 0;
  for (let i = 0; i + 1 < w.length; i++) macs += 3 * spec.batch * (w[i] as number) * (w[i + 1] as number);
  return macs;
}

function floorGraph(spec: TabularSpec, rng: Rng): { model: Uint8Array; feeds: Record<string, ExecTensor>; outputs: Record<string, ExecTensor> } {
  const g = new Graph();
  const n = spec.batch;
  const w = layerWidths(spec);
  const feeds: Record<string, ExecTensor> = {};
  const outputs: Record<string, ExecTensor> = {};
  const input = (name: string, rows: number, cols: number) => {
    feeds[name] = { type: 'float32', data: Float32Array.from({ length: rows * cols }, () => rng.normal()), dims: [rows, cols] };
    return g.input(name, 'float32', [rows, cols]);
  };
  // Each product's output is its first element: the product is computed in full (ONNX Runtime does not push a
  // Slice into a Gemm) but nothing large is returned. A whole output would come back to JavaScript as a fresh
  // copy (onnxruntime-node), whose external memory brings V8's full collections every few calls, which the
  // training step, whose products stay inside the graph, does not pay.
  const output = (name: string, v: ReturnType<typeof op.gemm>) => {
    g.output(op.slice(g, op.slice(g, v, 0, 0, 1), 1, 0, 1), name);
    outputs[name] = { type: 'float32', data: new Float32Array(1), dims: [1, 1] };
  };
  for (let i = 0; i + 1 < w.length; i++) {
    const [a, b] = [w[i] as number, w[i + 1] as number];
    const x = input(`x${i}`, n, a);
    const wt = input(`w${i}`, a, b);
    const dy = input(`dy${i}`, n, b);
    output(`y${i}`, op.gemm(g, x, wt, null));
    output(`dw${i}`, op.gemm(g, x, dy, null, { transA: true }));
    output(`dx${i}`, op.gemm(g, dy, wt, null, { transB: true }));
  }
  return { model: encodeModel(g, 'GEMM floor'), feeds, outputs };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { case: { type: 'string', default: 'criteo' }, threads: { type: 'string' }, steps: { type: 'string' }, repeats: { type: 'string', default: '5' } } });
  const spec = SPECS[values.case];
  if (!spec) throw new Error(`unknown case ${values.case}; use one of ${Object.keys(SPECS).join(', ')}`);
  const threads = Number(values.threads ?? availableCores());
  const steps = Number(values.steps ?? (values.case === 'criteo' ? 10 : values.case === 'small' ? 100 : 30));
  const { model, feeds, outputs } = floorGraph(spec, new Rng(1));
  const session = await nodeExecutor.createSession(model, { threads });
  for (let i = 0; i < 3; i++) await session.run(feeds, outputs);
  // Per call, and the median of all calls: a floor should not carry the machine's preemptions.
  const ms: number[] = [];
  for (let s = 0; s < steps * Number(values.repeats); s++) {
    const t0 = performance.now();
    await session.run(feeds, outputs);
    ms.push(performance.now() - t0);
  }
  await session.release();
  const sorted = [...ms].sort((a, b) => a - b);
  const median = sorted[sorted.length >> 1] as number;
  const macs = stepMacs(spec);
  const out = {
    case: values.case,
    engine: 'widedeep',
    batch: spec.batch,
    layers: layerWidths(spec),
    gemm_ms_median: median,
    gemm_ms_p10: sorted[Math.floor(sorted.length / 10)],
    calls: ms.length,
    gflop_per_step: (2 * macs) / 1e9,
    gflops: (2 * macs) / 1e6 / median,
    samples_per_s: spec.batch / (median / 1000),
    threads,
    peak_rss_mb: process.resourceUsage().maxRSS / 1024,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

await main();
