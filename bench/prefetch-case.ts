/**
 * Software prefetch in JavaScript, measured on its own (src/sparse/prefetch.ts says what it is): the single-id
 * gather and the lazy-Adam row update of 26 tables of 100k x 16 (w, m, v: 500 MB) on Criteo-shaped Zipf batches
 * (bench/engine-case.ts), written out here with no touch loop ("none"), touching a block's rows before working
 * on them ("same", what the library does) and touching the next block ahead ("ahead"), at blocks of 8, 16 and
 * 32 rows. The variants take turns in one process on the same batches, so machine load hits them alike. Prints
 * the median ms per step of each.
 *
 *   npx tsx bench/prefetch-case.ts
 */
import { CRITEO, tabular } from './engine-case.js';
import { Rng } from '../src/core/rng.js';
import { RowGradients } from '../src/sparse/row-gradients.js';
import { SparseTable } from '../src/sparse/table.js';
const { batches } = tabular({ ...CRITEO, mlp: [256] }, 16, new Rng(1));
const rng = new Rng(2);
const tables = Array.from({ length: 26 }, (_, f) => new SparseTable({ name: `t${f}`, numRows: 100_000, dim: 16, optimizer: { type: 'lazy-adam', lr: 1e-3 } }, rng.fork(`t${f}`)));
const grads = tables.map((t) => new RowGradients(t, 4096));
const width = 416;
const dBlock = Float32Array.from({ length: 2048 * width }, () => (Math.random() - 0.5) * 1e-3);
const out = new Float32Array(2048 * width);
let sink = 0;
function touch(d: Float32Array, ids: Int32Array, lo: number, hi: number, stride: number, span: number) { let s = 0; for (let i = lo; i < hi; i++) { const b = ids[i]! * stride; for (let k = 0; k < span; k += 16) s += d[b + k]!; } sink += s; }
function adam(data: Float32Array, r: Int32Array, U: number, g: Float32Array, step: number, mode: number, P: number) {
  const dim = 16, stride = 48, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, c1 = 0.1, c2 = 0.001;
  const stepSize = 1e-3 / (1 - Math.pow(beta1, step)); const inv = 1 / Math.sqrt(1 - Math.pow(beta2, step));
  if (mode === 2) touch(data, r, 0, Math.min(U, P), stride, stride);
  for (let i = 0; i < U; i++) {
    if (i % P === 0) { if (mode === 1) touch(data, r, i, Math.min(U, i + P), stride, stride); else if (mode === 2) touch(data, r, i + P, Math.min(U, i + 2 * P), stride, stride); }
    const w0 = r[i]! * stride; const g0 = i * dim;
    for (let k = 0; k < dim; k++) {
      const wi = w0 + k, mi = wi + dim, vi = mi + dim; const gg = g[g0 + k]!;
      const m = beta1 * data[mi]! + c1 * gg; const v = beta2 * data[vi]! + c2 * gg * gg;
      data[mi] = m; data[vi] = v; data[wi] = data[wi]! - (stepSize * m) / (Math.sqrt(v) * inv + eps);
    }
  }
}
function gather(d: Float32Array, ids: Int32Array, f: number, mode: number, P: number) {
  const B = 2048, lo0 = f * B;
  if (mode === 2) touch(d, ids, lo0, lo0 + P, 48, 16);
  for (let b = 0; b < B; b++) {
    if (b % P === 0) { if (mode === 1) touch(d, ids, lo0 + b, lo0 + Math.min(B, b + P), 48, 16); else if (mode === 2) touch(d, ids, lo0 + Math.min(B, b + P), lo0 + Math.min(B, b + 2 * P), 48, 16); }
    const base = ids[lo0 + b]! * 48; const o = b * width + f * 16;
    for (let k = 0; k < 16; k++) out[o + k] = d[base + k]!;
  }
}
const modes = [[0, 16], [1, 16], [2, 16], [1, 8], [2, 8], [1, 32], [2, 32]] as const;
const T = modes.map(() => ({ a: [] as number[], g: [] as number[] }));
for (let it = 0; it < 140; it++) {
  const m = it % modes.length; const [mode, P] = modes[m]!;
  const b = batches[it % batches.length]!.deep!;
  const t0 = performance.now();
  for (let f = 0; f < 26; f++) gather(tables[f]!.data, b.ids, f, mode, P);
  const t1 = performance.now();
  for (let f = 0; f < 26; f++) { grads[f]!.reset(); grads[f]!.addPooled(b, { feature: f, pooling: 'sum', width, col: f * 16 }, dBlock); }
  const t2 = performance.now();
  for (let f = 0; f < 26; f++) adam(tables[f]!.data, grads[f]!.rows, grads[f]!.count, grads[f]!.values, it + 1, mode, P);
  const t3 = performance.now();
  if (it >= 14) { T[m]!.g.push(t1 - t0); T[m]!.a.push(t3 - t2); }
}
const med = (x: number[]) => [...x].sort((a, b) => a - b)[x.length >> 1]!.toFixed(2);
modes.forEach(([mode, P], i) => console.log(['none', 'same', 'ahead'][mode], P, 'gather', med(T[i]!.g), 'adam', med(T[i]!.a)));
console.log(`(touched sum ${sink.toFixed(1)}: keeps the touch loops from being dropped)`);
