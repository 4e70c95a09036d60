/**
 * CPU time per element of each row optimizer's `updateRows` (the library's code) on two shapes: the small
 * case's tables (1,000 rows of dim 8, 640 touched: rows in cache) and the Criteo case's (100,000 rows of dim
 * 16, 900 touched: rows in memory). Process CPU time (`process.cpuUsage`, one thread) rather than wall time,
 * so a shared machine's load moves it little. One JSON line: ns per element, median of 5 rounds of 2,000 calls.
 *
 *   npx tsx bench/row-optimizer-case.ts
 */
import { createRowOptimizer, type RowOptimizerConfigInput } from '../src/sparse/index.js';
import { Rng } from '../src/core/rng.js';

const SHAPES = { small: { dim: 8, rows: 1000, touched: 640 }, criteo: { dim: 16, rows: 100_000, touched: 900 } } as const;
const OPTIMIZERS: RowOptimizerConfigInput[] = [{ type: 'adagrad', lr: 0.05 }, { type: 'ftrl', alpha: 0.05 }, { type: 'lazy-adam', lr: 1e-3 }, { type: 'sgd', lr: 0.01 }];

function nsPerElement(config: RowOptimizerConfigInput, shape: { dim: number; rows: number; touched: number }, rng: Rng): number {
  const { dim, rows: numRows, touched } = shape;
  const opt = createRowOptimizer(config);
  const data = Float32Array.from({ length: numRows * (dim + opt.stateWidth(dim)) }, () => rng.uniform() - 0.5);
  opt.initState(data, dim, 0, numRows);
  // `touched` distinct rows, drawn as a partial Fisher-Yates shuffle.
  const all = Int32Array.from({ length: numRows }, (_, i) => i);
  for (let i = 0; i < touched; i++) {
    const j = i + rng.int(numRows - i);
    [all[i], all[j]] = [all[j] as number, all[i] as number];
  }
  const rows = all.slice(0, touched);
  const grads = Float32Array.from({ length: touched * dim }, () => (rng.uniform() - 0.5) * 1e-2);
  // Steps cycle through 1..200: the bias corrections stay away from their limits, as in a real run's start.
  let step = 0;
  const next = (): number => (step++ % 200) + 1;
  for (let w = 0; w < 1000; w++) opt.updateRows(data, dim, rows, touched, grads, next());
  const rounds: number[] = [];
  for (let r = 0; r < 5; r++) {
    const c0 = process.cpuUsage();
    for (let i = 0; i < 2000; i++) opt.updateRows(data, dim, rows, touched, grads, next());
    const c = process.cpuUsage(c0);
    rounds.push(((c.user + c.system) * 1000) / 2000 / (touched * dim));
  }
  return [...rounds].sort((a, b) => a - b)[2] as number;
}

const rng = new Rng(1);
const out: Record<string, number> = {};
for (const [shape, s] of Object.entries(SHAPES)) for (const o of OPTIMIZERS) out[`${o.type}_${shape}_ns`] = nsPerElement(o, s, rng.fork(`${o.type}.${shape}`));
process.stdout.write(`${JSON.stringify({ case: 'row_optimizers', node: process.version, ...out, peak_rss_mb: process.resourceUsage().maxRSS / 1024 })}\n`);
