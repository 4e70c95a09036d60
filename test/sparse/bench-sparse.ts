/**
 * Quick speed check of the sparse side at Criteo shape (not a test): 26 features, 100k x 16 tables with
 * lazy Adam, batch 2048, one id per bag, skewed ids (~22k unique rows per step over all tables).
 * Also the wide part: the same 26 features in one FTRL dim-1 table (2.6M rows).
 * Run: npx tsx test/sparse/bench-sparse.ts
 */
import { Rng, type SparseBatch } from '../../src/core/index.js';
import { RowGradients, SparseTable, WideLinear, gatherPooled, type PooledSlot } from '../../src/sparse/index.js';

const F = 26;
const ROWS = Number(process.env['ROWS'] ?? 100_000);
const DIM = 16;
const B = 2048;
const STEPS = 60;
const SKEW = Number(process.env['SKEW'] ?? 12);

const rng = new Rng(1);
const keys = Array.from({ length: F }, (_, f) => `C${f + 1}`);
const tables = keys.map((k) => new SparseTable({ name: k, numRows: ROWS, dim: DIM, optimizer: { type: 'lazy-adam' } }, rng.fork(k)));
const grads = tables.map((t) => new RowGradients(t));
const width = F * DIM;
const slots: PooledSlot[] = keys.map((_, f) => ({ feature: f, pooling: 'sum', width, col: f * DIM }));

function makeBatch(): SparseBatch {
  const ids = new Int32Array(F * B);
  for (let i = 0; i < ids.length; i++) ids[i] = Math.floor(ROWS * Math.pow(rng.uniform(), SKEW));
  const offsets = new Int32Array(F * B + 1);
  for (let i = 0; i <= F * B; i++) offsets[i] = i;
  return { keys, batchSize: B, ids, offsets };
}
const batches = Array.from({ length: 8 }, makeBatch);
const block = new Float32Array(B * width);
const dBlock = new Float32Array(B * width);
for (let i = 0; i < dBlock.length; i++) dBlock[i] = rng.normal() * 1e-3;

let unique = 0;
const times = { gather: [] as number[], scatter: [] as number[], update: [] as number[] };
for (let s = 1; s <= STEPS; s++) {
  const batch = batches[s % batches.length] as SparseBatch;
  const t0 = performance.now();
  for (let f = 0; f < F; f++) gatherPooled(tables[f] as SparseTable, batch, slots[f] as PooledSlot, block);
  const t1 = performance.now();
  unique = 0;
  for (let f = 0; f < F; f++) {
    const g = grads[f] as RowGradients;
    g.reset();
    g.addPooled(batch, slots[f] as PooledSlot, dBlock);
    unique += g.count;
  }
  const t2 = performance.now();
  for (let f = 0; f < F; f++) (grads[f] as RowGradients).apply(s);
  const t3 = performance.now();
  times.gather.push(t1 - t0);
  times.scatter.push(t2 - t1);
  times.update.push(t3 - t2);
}
const median = (a: number[]): number => [...a].sort((x, y) => x - y)[a.length >> 1] as number;
const g = median(times.gather.slice(10));
const sc = median(times.scatter.slice(10));
const u = median(times.update.slice(10));
process.stdout.write(
  `embeddings: ${F} x ${ROWS} x ${DIM} lazy-adam, batch ${B}, ~${unique} unique rows/step\n` +
    `  gather ${g.toFixed(2)} ms, dedup+scatter ${sc.toFixed(2)} ms, update ${u.toFixed(2)} ms, total ${(g + sc + u).toFixed(2)} ms/step` +
    ` (${((B / (g + sc + u)) * 1000).toFixed(0)} samples/s)\n`,
);

const wide = new WideLinear({ features: keys.map((key) => ({ key, size: ROWS })) });
const logits = new Float32Array(B);
const dLogits = new Float32Array(B);
for (let i = 0; i < B; i++) dLogits[i] = rng.normal() * 1e-3;
const wf: number[] = [];
const wb: number[] = [];
for (let s = 1; s <= STEPS; s++) {
  const batch = batches[s % batches.length] as SparseBatch;
  const t0 = performance.now();
  wide.logits(batch, logits);
  const t1 = performance.now();
  wide.backward(batch, dLogits, s);
  const t2 = performance.now();
  wf.push(t1 - t0);
  wb.push(t2 - t1);
}
process.stdout.write(
  `wide: ${F} features x ${ROWS} ids, ftrl, batch ${B}: logits ${median(wf.slice(10)).toFixed(2)} ms, ` +
    `backward+update ${median(wb.slice(10)).toFixed(2)} ms\n`,
);
