import { WideDeepError } from '../../core/errors.js';
import type { SparseBatch } from '../../core/sparse-batch.js';
import type { ExecTensor } from '../../runtime/executor.js';
import { EMB_SOURCE, featureIndex, gatherSequence, type SparseLanes } from '../../sparse/index.js';
import { applyRows, type PartContext, type PartDef, type PartUpdate, requireBatch, SizedBuffers } from '../part.js';
import type { ModelBatch } from '../sizes.js';
import { type Embedded, embeddingsPart, EmbeddingsModelPart } from './embeddings.js';

/**
 * The embeddings part with its sparse work on several threads (`sparseWorkers`): the same tables, feeds and
 * gradients as `embeddingsPart` (whose declarations it keeps), but the tables live in SharedArrayBuffers and
 * the pooled features are gathered and updated by `SparseLanes`, each table by the one lane that owns it.
 * Sequences, and the updates of tables whose weights are averaged (train.ema: `TableAverage.update`), stay
 * on the calling thread, with the same kernels. The weights are those of `embeddingsPart` bit for bit. The
 * part stages its work (`beginFeed`, `beginUpdate`); the model starts the lanes on every part's staged work
 * at once, and `feed` / `update` complete it.
 */
export const shardedEmbeddingsPart: PartDef = {
  ...embeddingsPart,
  create(context: PartContext) {
    const lanes = context.lanes;
    if (!lanes) throw new WideDeepError('INTERNAL', 'the sharded embeddings part needs the sparse lanes (WideDeepModel.create with sparseWorkers)');
    // Built as embeddingsPart builds them (the same draws), in shared memory since the context has lanes.
    const plain = embeddingsPart.create(context) as EmbeddingsModelPart;
    return new ShardedEmbeddingsModelPart(plain.embedded, plain.width, lanes);
  },
};

export class ShardedEmbeddingsModelPart extends EmbeddingsModelPart {
  override readonly def = shardedEmbeddingsPart;
  private readonly pooled: readonly Embedded[];
  private readonly features: Int32Array;
  private readonly leave: boolean[];
  private readonly sequences;
  /** The `emb` feed: ONNX Runtime refuses views of shared memory, so the lanes' block is copied here. */
  private readonly blocks;

  constructor(
    embedded: readonly Embedded[],
    width: number,
    private readonly lanes: SparseLanes,
  ) {
    super(embedded, width);
    this.pooled = embedded.filter((e) => e.slot);
    this.features = new Int32Array(this.pooled.length);
    this.leave = this.pooled.map(() => false);
    lanes.attach(
      EMB_SOURCE,
      this.pooled.map((e) => ({ table: e.table, pooling: e.slot!.pooling, col: e.slot!.col })),
      width,
    );
    this.blocks = new SizedBuffers((n) => new Float32Array(n * width));
    const sequences = embedded.filter((e) => !e.slot);
    this.sequences = new SizedBuffers((n) => new Map(sequences.map((e) => [e.key, { seq: new Float32Array(n * e.length * e.table.dim), mask: new Float32Array(n * e.length) }])));
  }

  /** Stages the pooled tables' gathers for the lanes; `feed` does this thread's share and waits. */
  beginFeed(batch: ModelBatch): void {
    if (this.pooled.length === 0) return;
    const d = requireBatch(batch.deep, 'deep', batch.size);
    this.pooled.forEach((e, i) => (this.features[i] = featureIndex(d, e.key)));
    this.lanes.stageGather(EMB_SOURCE, d, this.features);
  }

  override feed(batch: ModelBatch, feeds: Record<string, ExecTensor>): void {
    if (this.embedded.length === 0) return;
    const n = batch.size;
    const d = requireBatch(batch.deep, 'deep', n);
    if (this.pooled.length > 0) {
      const emb = this.blocks.of(n);
      emb.set(this.lanes.gathered(EMB_SOURCE));
      feeds.emb = { type: 'float32', data: emb, dims: [n, this.width] };
    }
    const s = this.sequences.of(n);
    for (const e of this.embedded) {
      if (e.slot) continue;
      const t = s.get(e.key)!;
      gatherSequence(e.table, d, { feature: featureIndex(d, e.key), maxLen: e.length }, t.seq, t.mask);
      feeds[`seq_${e.key}`] = { type: 'float32', data: t.seq, dims: [n, e.length, e.table.dim] };
      feeds[`mask_${e.key}`] = { type: 'float32', data: t.mask, dims: [n, e.length] };
    }
  }

  /** Stages the pooled tables' updates for the lanes; `update` does this thread's share and waits. */
  beginUpdate(u: PartUpdate): void {
    const d = u.batch.deep;
    if (!d || this.pooled.length === 0) return;
    this.lanes.stageUpdate(EMB_SOURCE, d, this.flags(u, d), this.leave, u.grads.get('emb') as Float32Array, u.step, u.lr);
  }

  /** The pooled tables' feature indices in `d`, and in `leave` which ones are averaged (updated here, not by the lanes). */
  private flags(u: PartUpdate, d: SparseBatch): Int32Array {
    this.pooled.forEach((e, i) => {
      this.features[i] = featureIndex(d, e.key);
      this.leave[i] = u.averageOf(e.table) !== undefined;
    });
    return this.features;
  }

  override update(u: PartUpdate): void {
    const d = u.batch.deep;
    if (!d) return;
    if (this.pooled.length > 0) {
      const dEmb = u.grads.get('emb') as Float32Array;
      this.lanes.updated(EMB_SOURCE);
      // Averaged tables: through their TableAverage, on this thread (the same kernels as embeddingsPart).
      this.pooled.forEach((e, i) => {
        if (!this.leave[i]) return;
        e.grads.reset();
        e.grads.addPooled(d, { ...e.slot!, feature: this.features[i] as number }, dEmb);
        applyRows(e.grads, u);
      });
    }
    for (const e of this.embedded) {
      if (e.slot) continue;
      e.grads.reset();
      e.grads.addSequence(d, { feature: featureIndex(d, e.key), maxLen: e.length }, u.grads.get(`seq_${e.key}`) as Float32Array);
      applyRows(e.grads, u);
    }
  }
}
