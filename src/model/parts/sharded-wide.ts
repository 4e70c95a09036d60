import { WideDeepError } from '../../core/errors.js';
import type { ExecTensor } from '../../runtime/executor.js';
import { type SparseLanes, sumWideColumns, WIDE_SOURCE, type WideLinear } from '../../sparse/index.js';
import { applyRows, type PartContext, type PartDef, type PartUpdate, requireBatch, SizedBuffers } from '../part.js';
import type { ModelBatch } from '../sizes.js';
import { widePart, WideModelPart } from './wide.js';

/**
 * The wide part with its sparse work on several threads (`sparseWorkers`): the same tables, feeds and
 * gradients as `widePart`, but the wide tables live in SharedArrayBuffers and every feature's rows of every
 * output's table (`WideLinear.featureTables`) are one table of `SparseLanes`, owned by one lane: it gathers
 * the feature's column of the wide block ([N, outputs x features], sum pooling) and updates the feature's
 * rows from the block's gradient (d(loss)/d(logit) in each of its output's columns). This thread then adds
 * the columns to the bias in feature order (`sumWideColumns`, as `WideLinear.logits` does) and updates the
 * bias. Each row's arithmetic is the same as on one thread, so the weights and logits are those of
 * `widePart` bit for bit. A model that averages a wide table (train.ema) updates it here, on this thread.
 */
export const shardedWidePart: PartDef = {
  ...widePart,
  create(context: PartContext) {
    const lanes = context.lanes;
    if (!lanes) throw new WideDeepError('INTERNAL', 'the sharded wide part needs the sparse lanes (WideDeepModel.create with sparseWorkers)');
    // Built as widePart builds them, in shared memory since the context has lanes.
    const plain = widePart.create(context) as WideModelPart;
    return new ShardedWideModelPart(plain.linears, lanes);
  },
};

/**
 * One wide feature's work per step in the units of a table's cost (floats per id: its dim): one id per
 * example, gathered, hashed into the step's row gradients and updated one weight at a time, costs about what
 * gathering and updating 8 embedding floats does. Measured on criteo_small with no workers: in session 13 the
 * wide part's feed and update took 4.9 ms for 26 features and the embeddings' 9.4 ms for 26 x 16 floats (0.19
 * against 0.023 ms, 8.3); in session 19, with both in the kernels and float32 row updates, 2.27 against 4.07 ms
 * (0.087 against 0.0098 ms, 8.9). (It was 4 with the embeddings on the JavaScript loops.)
 */
const WIDE_FEATURE_COST = 8;

export class ShardedWideModelPart extends WideModelPart {
  override readonly def = shardedWidePart;
  private readonly features: Int32Array;
  private readonly leave: boolean[];
  private readonly width: number;
  private readonly perOutput: number;
  private readonly out = new SizedBuffers((n) => ({ logits: new Float32Array(n * this.linears.length), dBlock: new Float32Array(n * this.width) }));
  /** Whether the step's update was staged for the lanes (false: a wide table is averaged; this thread updates). */
  private staged = false;

  constructor(
    linears: readonly WideLinear[],
    private readonly lanes: SparseLanes,
  ) {
    super(linears);
    const F = linears[0]?.featureTables.length ?? 0;
    this.perOutput = F;
    this.width = linears.length * F;
    this.features = new Int32Array(this.width);
    this.leave = new Array<boolean>(this.width).fill(false);
    lanes.attach(
      WIDE_SOURCE,
      linears.flatMap((w, k) => w.featureTables.map((table, j) => ({ table, pooling: 'sum' as const, col: k * F + j, cost: WIDE_FEATURE_COST }))),
      this.width,
    );
  }

  /** Stages the features' gathers for the lanes; `feed` does this thread's share, waits, and sums the columns. */
  beginFeed(batch: ModelBatch): void {
    const wb = requireBatch(batch.wide, 'wide', batch.size);
    const map = (this.linears[0] as WideLinear).featureMap(wb);
    for (let k = 0; k < this.linears.length; k++) this.features.set(map, k * this.perOutput);
    this.lanes.stageGather(WIDE_SOURCE, wb, this.features);
  }

  override feed(batch: ModelBatch, feeds: Record<string, ExecTensor>): void {
    const n = batch.size;
    const K = this.linears.length;
    const logits = this.out.of(n).logits;
    const block = this.lanes.gathered(WIDE_SOURCE);
    this.linears.forEach((w, k) => sumWideColumns(block, this.width, k * this.perOutput, this.perOutput, w.bias, n, logits, K, k));
    feeds.wide_logit = { type: 'float32', data: logits, dims: [n, K] };
  }

  /** Stages the features' updates for the lanes: d(loss)/d(logit) of each output in each of its features' columns. */
  beginUpdate(u: PartUpdate): void {
    const dWide = u.grads.get('wide_logit');
    this.staged = dWide !== undefined && this.linears.every((w) => u.averageOf(w.table) === undefined);
    if (!this.staged || !dWide) return;
    const n = u.batch.size;
    const K = this.linears.length;
    const F = this.perOutput;
    const dBlock = this.out.of(n).dBlock;
    for (let b = 0; b < n; b++) {
      for (let k = 0; k < K; k++) dBlock.fill(dWide[b * K + k] as number, b * this.width + k * F, b * this.width + (k + 1) * F);
    }
    const wb = requireBatch(u.batch.wide, 'wide', n);
    this.lanes.stageUpdate(WIDE_SOURCE, wb, this.features, this.leave, dBlock, u.step, u.lr);
  }

  override update(u: PartUpdate): void {
    const dWide = u.grads.get('wide_logit');
    if (!dWide) return;
    // An averaged wide table: the whole update on this thread, through its TableAverage (as widePart).
    if (!this.staged) return super.update(u);
    this.lanes.updated(WIDE_SOURCE);
    const K = this.linears.length;
    this.linears.forEach((w, k) => applyRows(w.biasGradients(dWide, u.batch.size, K, k), u));
  }
}
