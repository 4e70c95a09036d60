import { createRowOptimizer, sharedStorage, tableArena, WideLinear } from '../../sparse/index.js';
import type { ExecTensor } from '../../runtime/executor.js';
import { applyRows, type ModelPart, type PartDef, type PartUpdate, requireBatch, SizedBuffers } from '../part.js';
import type { ModelBatch } from '../sizes.js';
import { outputsOf } from '../sizes.js';

/**
 * The wide part: one linear model per output (`wide`, or `wide.<k>` per class) over the wide features,
 * computed in typed arrays and fed to the graph as `wide_logit` [N, K], which the joint logits add; the
 * gradient that comes back, d(loss)/d(logit), updates the weights of the ids that fired (group `wide`,
 * FTRL by default).
 */
export const widePart: PartDef = {
  group: 'wide',
  baseRate: (config) => createRowOptimizer(config.optimizers.wide).baseRate,
  tables(sizes, config) {
    const k = outputsOf(sizes);
    const numRows = sizes.wide.reduce((n, f) => n + f.size, 0) + 1;
    return Array.from({ length: k }, (_, c) => ({ name: k === 1 ? 'wide' : `wide.${c}`, numRows, dim: 1, optimizer: config.optimizers.wide, init: { type: 'zeros' } }));
  },
  gradInputs: () => ['wide_logit'],
  denseOptimizers: () => ({}),
  logit: (graph) => graph.input('wide_logit', ['N', outputsOf(graph.sizes)]),
  create({ sizes, config, lanes }) {
    // One kernel memory for every output's table where they fit (the sparse lanes then keep the wide block
    // beside them, parts/sharded-wide.ts); else shared memory with sparse workers.
    const tables = widePart.tables(sizes, config);
    const storage = tableArena(tables) ?? (lanes ? sharedStorage : undefined);
    const linears = tables.map((t) => new WideLinear({ name: t.name, features: sizes.wide, optimizer: t.optimizer }, storage));
    return new WideModelPart(linears);
  },
};

export class WideModelPart implements ModelPart {
  readonly def = widePart;
  readonly tables;
  private readonly buffers = new SizedBuffers((n) => ({ logits: new Float32Array(n * this.linears.length), column: new Float32Array(n) }));

  /** One linear model per output. */
  constructor(readonly linears: readonly WideLinear[]) {
    this.tables = linears.map((w) => w.table);
  }

  feed(batch: ModelBatch, feeds: Record<string, ExecTensor>): void {
    const n = batch.size;
    const k = this.linears.length;
    const s = this.buffers.of(n);
    const wb = requireBatch(batch.wide, 'wide', n);
    this.linears.forEach((w, j) => {
      w.logits(wb, s.column);
      for (let b = 0; b < n; b++) s.logits[b * k + j] = s.column[b] as number;
    });
    feeds.wide_logit = { type: 'float32', data: s.logits, dims: [n, k] };
  }

  update(u: PartUpdate): void {
    const dWide = u.grads.get('wide_logit');
    if (!dWide) return;
    const n = u.batch.size;
    const k = this.linears.length;
    const column = this.buffers.of(n).column;
    const wb = requireBatch(u.batch.wide, 'wide', n);
    this.linears.forEach((w, j) => {
      for (let b = 0; b < n; b++) column[b] = dWide[b * k + j] as number;
      applyRows(w.gradients(wb, column), u);
    });
  }
}
