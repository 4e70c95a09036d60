import type { ExecTensor } from '../../runtime/executor.js';
import { createRowOptimizer, featureIndex, gatherPooled, gatherSequence, type PooledSlot, RowGradients, sharedStorage, SparseTable, tableArena } from '../../sparse/index.js';
import { kernelMemoryOf, kernelRegion } from '../../sparse/simd/kernels.js';
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
    const decls = embeddingsPart.tables(sizes, config);
    // The tables share one kernel memory where they fit, with the `emb` block beside them (`staging`, or the
    // sparse lanes' blocks), so that the kernels gather into it and read its gradient in place. Else each
    // table has its own storage: in shared memory with sparse workers (no copy: a Criteo model's tables are
    // 500 MB), which the arena is too.
    const storage = tableArena(decls) ?? (lanes ? sharedStorage : undefined);
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
  /** A pooled table's data when every pooled table lives in that one kernel memory (`kernelArena`), else undefined. */
  private readonly arena: Float32Array | undefined;
  /** The `emb` block in that memory (the largest batch's so far). */
  private block: Float32Array | undefined;

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
    const pooled = embedded.filter((e) => e.slot).map((e) => e.table.data);
    const memory = pooled.length > 0 ? kernelMemoryOf(pooled[0]!) : undefined;
    this.arena = memory !== undefined && pooled.every((d) => kernelMemoryOf(d) === memory) ? pooled[0] : undefined;
  }

  /**
   * The `emb` block of an n-example batch in the tables' kernel memory, where the kernels gather into it and
   * read its gradient in place (one copy of the whole block to or from ONNX Runtime's buffer, in place of a
   * strided copy a table); undefined when the tables are not in one kernel memory.
   */
  private staging(n: number): Float32Array | undefined {
    if (this.arena === undefined || this.width === 0) return undefined;
    const need = n * this.width;
    if ((this.block?.length ?? 0) < need) this.block = kernelRegion(this.arena, Math.max(need, 2 * (this.block?.length ?? 0)));
    return this.block?.subarray(0, need);
  }

  /** d(loss)/d(emb) where the kernels read it in place: copied into the staging block, where there is one. */
  private staged(dEmb: Float32Array | undefined, n: number): Float32Array | undefined {
    const block = dEmb === undefined ? undefined : this.staging(n);
    if (block === undefined) return dEmb;
    block.set(dEmb!);
    return block;
  }

  feed(batch: ModelBatch, feeds: Record<string, ExecTensor>): void {
    if (this.embedded.length === 0) return;
    const n = batch.size;
    const s = this.buffers.of(n);
    const d = requireBatch(batch.deep, 'deep', n);
    const block = this.staging(n);
    let pooled = false;
    for (const e of this.embedded) {
      if (e.slot) {
        gatherPooled(e.table, d, { ...e.slot, feature: featureIndex(d, e.key) }, block ?? s.emb);
        pooled = true;
      } else {
        const t = s.seq.get(e.key)!;
        gatherSequence(e.table, d, { feature: featureIndex(d, e.key), maxLen: e.length }, t.seq, t.mask);
        feeds[`seq_${e.key}`] = { type: 'float32', data: t.seq, dims: [n, e.length, e.table.dim] };
        feeds[`mask_${e.key}`] = { type: 'float32', data: t.mask, dims: [n, e.length] };
      }
    }
    if (block !== undefined && pooled) s.emb.set(block);
    if (pooled && this.width > 0) feeds.emb = { type: 'float32', data: s.emb, dims: [n, this.width] };
  }

  update(u: PartUpdate): void {
    const d = u.batch.deep;
    if (!d) return;
    const dEmb = this.staged(u.grads.get('emb'), u.batch.size);
    for (const e of this.embedded) {
      e.grads.reset();
      if (e.slot) e.grads.addPooled(d, { ...e.slot, feature: featureIndex(d, e.key) }, dEmb as Float32Array);
      else e.grads.addSequence(d, { feature: featureIndex(d, e.key), maxLen: e.length }, u.grads.get(`seq_${e.key}`) as Float32Array);
      applyRows(e.grads, u);
    }
  }
}
