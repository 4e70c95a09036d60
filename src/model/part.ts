import { WideDeepError } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import type { SparseBatch } from '../core/sparse-batch.js';
import type { Value } from '../graph/builder.js';
import type { DropoutInput } from '../graph/nn.js';
import type { DenseOptimizerResolved } from '../graph/optimizers.js';
import type { ParamScope } from '../graph/params.js';
import type { ExecTensor } from '../runtime/executor.js';
import type { InitializerConfig, RowGradients, RowOptimizerConfig, SparseLanes, SparseTable, TableAverage } from '../sparse/index.js';
import type { ModelConfig } from './config.js';
import type { ModelBatch, ModelSizes } from './sizes.js';

/**
 * The model as parts. A Wide & Deep model is a list of parts (`partsOf(config)`: wide, embeddings, deep for
 * `wide_deep`), each declaring everything the shared code needs about it, so that the model, the trainer,
 * `stateLayoutOf` and the step never branch on a specific part:
 *
 * ```
 * PartDef (static, from sizes + config)      ModelPart (built, holds tables and buffers)
 *   group, baseRate      -> schedules          feed(batch)    -> the step's graph inputs
 *   tables               -> state layout       update(step)   -> d_<input> into its own weights
 *   gradInputs, logit    -> the dense graph    tables         -> checkpoints, bundles, averages
 *   denseOptimizers      -> the training step
 * ```
 *
 * A new part (a second embedding family, a cross layer) is one new file with one `PartDef`, listed in
 * `parts/index.ts`.
 */
export interface PartDef {
  /** The part's parameter group: the key of its learning rate in `GroupRates` (and its optimizer's config key). */
  readonly group: string;
  /** The group's base learning rate (FTRL's alpha, the others' lr), which a schedule scales. */
  baseRate(config: ModelConfig): number;
  /** The sparse tables the part owns, in the order it creates them (names are state tensor names). */
  tables(sizes: ModelSizes, config: ModelConfig): readonly TableDecl[];
  /** The graph's data inputs this part feeds that receive gradients (`d_<name>` comes back to `update`). */
  gradInputs(sizes: ModelSizes, config: ModelConfig): readonly string[];
  /** Dense parameter groups of the part's graph parameters, with their optimizers (none for sparse parts). */
  denseOptimizers(config: ModelConfig): Readonly<Record<string, DenseOptimizerResolved>>;
  /** The part's term of the joint logits [N, K] in the dense graph, or null when it adds none. */
  logit(graph: PartGraph): Value | null;
  create(context: PartContext): ModelPart;
}

/** A sparse table as a part declares it: what `SparseTable` is built from, known before it is built. */
export interface TableDecl {
  readonly name: string;
  readonly numRows: number;
  readonly dim: number;
  readonly optimizer: RowOptimizerConfig;
  readonly init: InitializerConfig;
}

/** What a part's `logit` builds with. */
export interface PartGraph {
  readonly scope: ParamScope;
  readonly sizes: ModelSizes;
  readonly config: ModelConfig;
  readonly training: boolean;
  /** The graph input `name` of `shape` (or the value a caller gave for it, e.g. the ONNX export). */
  input(name: string, shape: (string | number)[]): Value;
  /** Reports the dropout masks the training graph reads (fed by the part, see `feed`). */
  onDropout(inputs: readonly DropoutInput[]): void;
}

/** What a part is built from. */
export interface PartContext {
  readonly sizes: ModelSizes;
  readonly config: ModelConfig;
  /** The model's generator: a part forks its own streams from it by name (`rng.fork(label)`). */
  readonly rng: Rng;
  /** The dropout masks the training graph reads, and the generator that draws them (its state is the model state's `dropoutRng`). */
  readonly dropout: readonly DropoutInput[];
  readonly dropoutRng: Rng;
  /** The sparse worker lanes when the model has them (`sparseWorkers`), for the parts that share their tables out. */
  readonly lanes?: SparseLanes;
}

/** One step's gradients and rate, as a part's `update` reads them. */
export interface PartUpdate {
  readonly batch: ModelBatch;
  /** d(loss)/d(input) of the graph inputs in the part's `gradInputs`. */
  readonly grads: ReadonlyMap<string, Float32Array>;
  /** The global 1-based step. */
  readonly step: number;
  /** This step's rate of the part's group (undefined: its base rate). */
  readonly lr: number | undefined;
  /** The weight average of a table while the model averages (train.ema), else undefined. */
  averageOf(table: SparseTable): TableAverage | undefined;
}

/** A built part. */
export interface ModelPart {
  readonly def: PartDef;
  /** Its sparse tables, as declared by `def.tables`. */
  readonly tables: readonly SparseTable[];
  /** Writes its graph inputs for `batch` into `feeds` (`training`: the step's, with dropout masks). */
  feed(batch: ModelBatch, feeds: Record<string, ExecTensor>, training: boolean): void;
  /** After the dense step: applies the gradients of its inputs to its own weights. */
  update(u: PartUpdate): void;
  /**
   * Optional: stages work of `feed` for the sparse lanes (other threads) before any part feeds; the model
   * then starts every part's staged work at once (`SparseLanes.startGather`), so that it runs while the parts
   * feed on this thread, and `feed` completes it. The result is `feed`'s alone.
   */
  beginFeed?(batch: ModelBatch): void;
  /** Optional: the same for `update` (`SparseLanes.startUpdate`), called with the update `update` then receives. */
  beginUpdate?(u: PartUpdate): void;
}

/** Applies one table's row gradients at the update's step and rate, through its weight average when there is one. */
export function applyRows(grads: RowGradients, u: PartUpdate): void {
  const average = u.averageOf(grads.table);
  if (average) average.update(grads, u.step, u.lr);
  else grads.apply(u.step, u.lr);
}

/** A reused buffer per batch size (a part's feeds; a few sizes: the batch, the last batch, scoring sizes). */
export class SizedBuffers<T> {
  private readonly bySize = new Map<number, T>();
  constructor(private readonly make: (n: number) => T) {}

  of(n: number): T {
    let s = this.bySize.get(n);
    if (!s) {
      s = this.make(n);
      if (this.bySize.size > 8) this.bySize.clear();
      this.bySize.set(n, s);
    }
    return s;
  }
}

/** The batch's SparseBatch `which` (`wide` or `deep`), checked against the batch size. */
export function requireBatch(b: SparseBatch | undefined, which: string, n: number): SparseBatch {
  if (!b) throw new WideDeepError('BATCH', `the model needs the ${which} SparseBatch`, { field: which });
  if (b.batchSize !== n) throw new WideDeepError('BATCH', `the ${which} SparseBatch has ${b.batchSize} examples, the batch ${n}`, { field: which });
  return b;
}
