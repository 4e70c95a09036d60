import type { ExecTensor } from '../../runtime/executor.js';
import { createRowOptimizer, featureIndex, gatherPooled, gatherSequence, type PooledSlot, RowGradients, sharedStorage, SparseTable } from '../../sparse/index.js';
import { DEEP_PARTS } from '../deep-parts.js';
import { applyRows, type ModelPart, type PartDef, type PartUpdate, requireBatch, SizedBuffers } from '../part.js';
import { embWidth, type ModelBatch } from '../sizes.js';

/** One embedded feature: its table, its gradients, and where the deep network reads it. */
export interface Embedded {
  readonly key: string;
  readonly table: SparseTable;
  readonly grads: RowGradients;
  /** Pooled features: their place in the `emb` block. Sequences: null (see `length`). */
  readonly slot: PooledSlot | null;
  /** Sequences: their length T (0 for pooled features). */
  readonly length: number;
}

/**
 * The embeddings part: one table per embedded feature (`emb.<key>`, group `embeddings`, AdaGrad by default).
 * Pooled features are gathered side by side into the `emb` block [N, sum of dims]; the sequences the deep
 * network reads as sequences (`sequencesOf`) into `seq_<key>` [N, T, dim] with `mask_<key>` [N, T]. The
 * gradients of those inputs go back to the rows they were gathered from.
 */
export const embeddingsPart: PartDef = {
  group: 'embeddings',
  baseRate: (config) => createRowOptimizer(config.optimizers.embeddings).baseRate,
  tables(sizes, config) {
    const table = (key: string, numRows: number, dim: number) => ({ name: `emb.${key}`, numRows, dim, optimizer: config.optimizers.embeddings, init: { type: config.embeddingInit } });
    const read = new Set(DEEP_PARTS[config.deep.type].sequencesOf(config.deep as never));
    return [...sizes.embeddings.map((e) => table(e.key, e.size, e.dim)), ...sizes.sequences.filter((s) => read.has(s.key)).map((s) => table(s.key, s.size, s.dim))];
  },
  gradInputs(sizes, config) {
    const seqs = DEEP_PARTS[config.deep.type].sequencesOf(config.deep as never);
    return [...(sizes.embeddings.length > 0 ? ['emb'] : []), ...seqs.map((key) => `seq_${key}`)];
  },
  denseOptimizers: () => ({}),
  // The deep network reads the gathered inputs (see parts/deep.ts); embeddings add no logit of their own.
  logit: () => null,
  create({ sizes, config, rng, lanes }) {
    const width = embWidth(sizes);
    // With sparse workers the tables are born in shared memory (no copy: a Criteo model's tables are 500 MB).
    const storage = lanes ? sharedStorage : undefined;
    const decls = embeddingsPart.tables(sizes, config);
    const embedded: Embedded[] = [];
    let col = 0;
    for (const e of sizes.embeddings) {
      const table = new SparseTable(decls[embedded.length]!, rng.fork(`emb.${e.key}`), storage);
      embedded.push({ key: e.key, table, grads: new RowGradients(table), slot: { feature: -1, pooling: e.pooling, width, col }, length: 0 });
      col += e.dim;
    }
    for (const s of sizes.sequences) {
      const decl = decls[embedded.length];
      if (decl?.name !== `emb.${s.key}`) continue;
      const table = new SparseTable(decl, rng.fork(`emb.${s.key}`), storage);
      embedded.push({ key: s.key, table, grads: new RowGradients(table), slot: null, length: s.length });
    }
    return new EmbeddingsModelPart(embedded, width);
  },
};

export class EmbeddingsModelPart implements ModelPart {
  readonly def = embeddingsPart;
  readonly tables;
  private readonly buffers;

  constructor(
    readonly embedded: readonly Embedded[],
    /** Floats per example of the pooled block `emb`. */
    readonly width: number,
  ) {
    this.tables = embedded.map((e) => e.table);
    this.buffers = new SizedBuffers((n) => ({
      emb: new Float32Array(n * width),
      seq: new Map(embedded.filter((e) => !e.slot).map((e) => [e.key, { seq: new Float32Array(n * e.length * e.table.dim), mask: new Float32Array(n * e.length) }])),
    }));
  }

  feed(batch: ModelBatch, feeds: Record<string, ExecTensor>): void {
    if (this.embedded.length === 0) return;
    const n = batch.size;
    const s = this.buffers.of(n);
    const d = requireBatch(batch.deep, 'deep', n);
    let pooled = false;
    for (const e of this.embedded) {
      if (e.slot) {
        gatherPooled(e.table, d, { ...e.slot, feature: featureIndex(d, e.key) }, s.emb);
        pooled = true;
      } else {
        const t = s.seq.get(e.key)!;
        gatherSequence(e.table, d, { feature: featureIndex(d, e.key), maxLen: e.length }, t.seq, t.mask);
        feeds[`seq_${e.key}`] = { type: 'float32', data: t.seq, dims: [n, e.length, e.table.dim] };
        feeds[`mask_${e.key}`] = { type: 'float32', data: t.mask, dims: [n, e.length] };
      }
    }
    if (pooled && this.width > 0) feeds.emb = { type: 'float32', data: s.emb, dims: [n, this.width] };
  }

  update(u: PartUpdate): void {
    const d = u.batch.deep;
    if (!d) return;
    for (const e of this.embedded) {
      e.grads.reset();
      if (e.slot) e.grads.addPooled(d, { ...e.slot, feature: featureIndex(d, e.key) }, u.grads.get('emb') as Float32Array);
      else e.grads.addSequence(d, { feature: featureIndex(d, e.key), maxLen: e.length }, u.grads.get(`seq_${e.key}`) as Float32Array);
      applyRows(e.grads, u);
    }
  }
}
