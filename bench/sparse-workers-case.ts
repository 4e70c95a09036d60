/**
 * Sparse workers against none, paired in one process: two models of an engine case (bench/engine-case.ts),
 * one without and one with `sparseWorkers`, take turns on the same batches (the order swapped every step, so
 * both see the same machine load), with every part's feed and update timed. One JSON line on stdout: per
 * model the median and mean step ms, the process CPU ms per step, the ms per step of each part's feed and
 * update (the rest of a step is session.run), and whether the two models' states are equal bit for bit.
 *
 *   npx tsx bench/sparse-workers-case.ts [--case criteo_small|small|criteo] [--workers 1] [--steps 40] [--threads T] [--vocab V]
 *
 * `--vocab V`: every table of V rows instead of the case's (the Criteo cases: 100,000), to see where workers
 * start to pay (defaultSparseWorkers' threshold).
 */
import { parseArgs } from 'node:util';
import { Rng } from '../src/core/rng.js';
import type { ModelConfigInput } from '../src/model/config.js';
import { WideDeepModel } from '../src/model/wide-deep.js';
import { CRITEO, OPTIMIZERS, SMALL, tabular } from './engine-case.js';

const { values } = parseArgs({
  options: { vocab: { type: 'string' }, case: { type: 'string', default: 'criteo_small' }, workers: { type: 'string', default: '1' }, steps: { type: 'string', default: '40' }, threads: { type: 'string' } },
});
const c = values.case;
const steps = Number(values.steps);
const workers = Number(values.workers);
const base = c === 'small' ? SMALL : c === 'criteo' ? CRITEO : { ...CRITEO, mlp: [256, 128, 64] };
const spec = values.vocab !== undefined ? { ...base, vocab: Number(values.vocab) } : base;
const { sizes, batches } = tabular(spec, 64, new Rng(1));
const config: ModelConfigInput = { kind: 'wide_deep', deep: { type: 'mlp', hidden: spec.mlp }, optimizers: OPTIMIZERS };
const threads = values.threads !== undefined ? { threads: Number(values.threads) } : {};
const models = [await WideDeepModel.create(sizes, config, { seed: 1, sparseWorkers: 0, ...threads }), await WideDeepModel.create(sizes, config, { seed: 1, sparseWorkers: workers, ...threads })];
const stats = models.map(() => ({ step: [] as number[], cpu: [] as number[], parts: {} as Record<string, number> }));
models.forEach((model, m) => {
  const add = (k: string, ms: number): void => void (stats[m]!.parts[k] = (stats[m]!.parts[k] ?? 0) + ms);
  for (const p of model.parts) {
    const feed = p.feed.bind(p);
    const update = p.update.bind(p);
    p.feed = (b, f, t) => {
      const s = performance.now();
      feed(b, f, t);
      add(`feed.${p.def.group}`, performance.now() - s);
    };
    p.update = (u) => {
      const s = performance.now();
      update(u);
      add(`update.${p.def.group}`, performance.now() - s);
    };
  }
});
for (let i = 0; i < 8; i++) for (const model of models) await model.trainStep(batches[i % batches.length]!);
for (const s of stats) s.parts = {};
for (let i = 0; i < steps; i++) {
  const order = i % 2 === 0 ? [0, 1] : [1, 0];
  for (const m of order) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await models[m]!.trainStep(batches[i % batches.length]!);
    stats[m]!.step.push(performance.now() - t0);
    const c1 = process.cpuUsage(c0);
    stats[m]!.cpu.push((c1.user + c1.system) / 1000);
  }
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const a = models[0]!.exportState('full').tensors;
const b = models[1]!.exportState('full').tensors;
const same = [...a].every(([k, v]) => Buffer.from(v.buffer).equals(Buffer.from(b.get(k)!.buffer)));
const report = stats.map((s, m) => ({
  sparse_workers: m === 0 ? 0 : workers,
  step_ms_median: median(s.step),
  step_ms_mean: mean(s.step),
  cpu_ms_per_step_median: median(s.cpu),
  part_ms_per_step: Object.fromEntries(Object.entries(s.parts).map(([k, v]) => [k, v / steps])),
}));
process.stdout.write(`${JSON.stringify({ case: c, vocab: spec.vocab, steps, models: report, same_state_bit_for_bit: same })}\n`);
for (const model of models) await model.release();
