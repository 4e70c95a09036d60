/**
 * The sparse side's WebAssembly SIMD kernels (src/sparse/simd/) against the JavaScript loops they replace,
 * through the library's own calls: the same tables twice, one in kernel memories (the default storage) and one
 * in plain Float32Arrays (the loops), take turns on the same Zipf batches of an engine case (bench/engine-case.ts):
 * per step, `gatherPooled` of every feature into the `emb` block, then per table `RowGradients.addPooled` and
 * `apply` (the row optimizer's update). One JSON line: ms per step of each phase for each storage (median of
 * the rounds), their ratios, and whether both end with the same tables bit for bit.
 *
 *   npx tsx bench/simd-kernels-case.ts [--case criteo|small] [--optimizer lazy-adam|adagrad|ftrl] [--rounds 5]
 */
import { parseArgs } from 'node:util';
import { Rng } from '../src/core/rng.js';
import { gatherPooled, RowGradients, SparseTable } from '../src/sparse/index.js';
import { kernelMemoryOf } from '../src/sparse/simd/kernels.js';
import { CRITEO, SMALL, tabular } from './engine-case.js';

const { values } = parseArgs({ options: { case: { type: 'string', default: 'criteo' }, optimizer: { type: 'string', default: 'lazy-adam' }, rounds: { type: 'string', default: '5' } } });
const OPTIMIZERS = {
  'lazy-adam': { type: 'lazy-adam', lr: 1e-3 },
  adagrad: { type: 'adagrad', lr: 0.05 },
  ftrl: { type: 'ftrl', alpha: 0.05, l1: 1e-3 },
} as const;
for (const [name, value, allowed] of [['case', values.case, ['criteo', 'small']], ['optimizer', values.optimizer, Object.keys(OPTIMIZERS)]] as const) {
  if (!(allowed as readonly string[]).includes(value as string)) {
    console.error(`simd-kernels-case: --${name} ${value} is not one of ${allowed.join(', ')}`);
    process.exit(2);
  }
}
const spec = { ...(values.case === 'small' ? SMALL : CRITEO), crossBuckets: 0 };
const { batches } = tabular(spec, 16, new Rng(1));
const F = spec.nCat;
const B = spec.batch;
const D = spec.dim;
const width = F * D;
const optimizer = OPTIMIZERS[values.optimizer as keyof typeof OPTIMIZERS];
const tables = (plain: boolean): SparseTable[] =>
  Array.from({ length: F }, (_, f) => new SparseTable({ name: `c${f}`, numRows: spec.vocab, dim: D, optimizer }, new Rng(f), plain ? (n) => new Float32Array(n) : undefined));
const sides = { simd: tables(false), js: tables(true) };
if (!sides.simd.every((t) => kernelMemoryOf(t.data))) throw new Error('the kernel memories are not available here (WebAssembly SIMD or shared memory)');
const grads = { simd: sides.simd.map((t) => new RowGradients(t)), js: sides.js.map((t) => new RowGradients(t)) };
const block = new Float32Array(B * width);
const rng = new Rng(2);
const dBlocks = batches.map(() => Float32Array.from({ length: B * width }, () => rng.normal() * 1e-3));

type Side = keyof typeof sides;
const phases = ['gather', 'addPooled', 'apply'] as const;
const times: Record<Side, Record<(typeof phases)[number], number[]>> = { simd: { gather: [], addPooled: [], apply: [] }, js: { gather: [], addPooled: [], apply: [] } };
/** One pass over the batches on one side, its row updates at global step `step`. */
function round(side: Side, step: number): void {
  let g = 0;
  let a = 0;
  let u = 0;
  batches.forEach((mb, i) => {
    const t0 = performance.now();
    for (let f = 0; f < F; f++) gatherPooled(sides[side][f]!, mb.deep!, { feature: f, pooling: 'sum', width, col: f * D }, block);
    const t1 = performance.now();
    g += t1 - t0;
    for (let f = 0; f < F; f++) {
      const rg = grads[side][f]!;
      const s0 = performance.now();
      rg.reset();
      rg.addPooled(mb.deep!, { feature: f, pooling: 'sum', width, col: f * D }, dBlocks[i]!);
      const s1 = performance.now();
      rg.apply(step);
      a += s1 - s0;
      u += performance.now() - s1;
    }
  });
  const n = batches.length;
  times[side].gather.push(g / n);
  times[side].addPooled.push(a / n);
  times[side].apply.push(u / n);
}
const rounds = Number(values.rounds);
// A warm-up pass each, then the rounds, the side that goes first alternating; both sides make the same steps.
round('simd', 1);
round('js', 1);
for (const side of ['simd', 'js'] as const) for (const p of phases) times[side][p].length = 0;
for (let r = 0; r < rounds; r++) for (const side of r % 2 === 0 ? (['simd', 'js'] as const) : (['js', 'simd'] as const)) round(side, r + 2);
const median = (a: number[]): number => [...a].sort((x, y) => x - y)[a.length >> 1] as number;
const ms = (side: Side) => Object.fromEntries(phases.map((p) => [p, median(times[side][p])]));
const simd = ms('simd');
const js = ms('js');
const same = sides.simd.every((t, f) => Buffer.compare(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength), Buffer.from(sides.js[f]!.data.buffer)) === 0);
const sparseStep = (m: Record<string, number>): number => (m.gather as number) + (m.addPooled as number) + (m.apply as number);
process.stdout.write(
  `${JSON.stringify({
    case: `simd_${values.case}_${optimizer.type}`,
    tables: `${F} x ${spec.vocab} x ${D}`,
    batch: B,
    rounds,
    ms_per_step: { simd, js },
    speedup: Object.fromEntries(phases.map((p) => [p, (js[p] as number) / (simd[p] as number)])),
    sparse_ms_simd: sparseStep(simd),
    sparse_ms_js: sparseStep(js),
    same_tables_bit_for_bit: same,
    node: process.version,
  })}\n`,
);
