import { WideDeepError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import type { SparseBatch } from '../core/sparse-batch.js';
import { type DropoutInput, fillDropoutMask } from '../graph/nn.js';
import { buildForward, buildTrainStep } from '../graph/train-step.js';
import type { LossKind } from '../graph/losses.js';
import type { ExecTensor, Executor } from '../runtime/executor.js';
import { defaultExecutor } from '../runtime/default.js';
import { StepRunner } from '../runtime/step-runner.js';
import { featureIndex, gatherPooled, gatherSequence, type PooledSlot, RowGradients, SparseTable, WideLinear } from '../sparse/index.js';
import { AVERAGE_PREFIX, ModelAverage } from './average.js';
import { type ModelConfig, type ModelConfigInput, parseModelConfig } from './config.js';
import { DEEP_PARTS, type DeepPart } from './deep-parts.js';
import { autoThreads, embWidth, gradInputsOf, makeForward } from './forward.js';
import { type ModelBatch, type ModelSizes, outputsOf } from './sizes.js';

export const LOSS: Record<ModelSizes['objective'], LossKind> = { binary: 'bce', regression: 'mse', multiclass: 'softmax_ce' };

/** Learning rates of the parameter groups for one step (a schedule's output). */
export interface GroupRates {
  readonly wide?: number;
  readonly embeddings?: number;
  readonly deep?: number;
}

export interface Prediction {
  /** [N, K] joint logits. */
  readonly logits: Float32Array;
  /** [N, K] probabilities (binary, multiclass) or values (regression). */
  readonly prediction: Float32Array;
  /** [N, K] the wide part's share of the logits (zeros without a wide part). */
  readonly wideLogits: Float32Array;
}

interface Embedded {
  readonly key: string;
  readonly table: SparseTable;
  readonly grads: RowGradients;
  /** Pooled features: their place in the `emb` block. Sequences: their length. */
  readonly slot: PooledSlot | null;
  readonly length: number;
}

/**
 * The Wide & Deep model (Cheng et al. 2016): a wide linear model over sparse raw and crossed features and a
 * deep network over learned embeddings and numerics, whose logits are summed into one output and trained
 * jointly: each step computes the wide logits (typed arrays), runs the dense graph once (forward, loss,
 * backward, dense update) and sends the gradient of the joint loss back into the wide weights and the
 * embedding rows the batch touched.
 */
export class WideDeepModel {
  readonly config: ModelConfig;
  readonly outputs: number;
  /** One wide linear model per output (one for binary and regression). */
  readonly wide: readonly WideLinear[];
  readonly embedded: readonly Embedded[];
  private readonly dropoutInputs: readonly DropoutInput[];
  private readonly dropoutRng: Rng;
  /** Weight averages while train.ema averages (see startAveraging). */
  private average: ModelAverage | null = null;
  /** The last queued runner call: trainStep and predict share `buffers` and the runner's outputs, so they take turns. */
  private turn: Promise<unknown> = Promise.resolve();
  private scratch = new Map<number, { emb: Float32Array; wide: Float32Array; wideK: Float32Array; seq: Map<string, { seq: Float32Array; mask: Float32Array }>; labels: Float32Array; masks: Map<string, Float32Array> }>();

  private constructor(
    readonly sizes: ModelSizes,
    config: ModelConfig,
    readonly runner: StepRunner,
    rng: Rng,
    dropoutInputs: readonly DropoutInput[],
  ) {
    this.config = config;
    this.outputs = outputsOf(sizes);
    const hasWide = config.kind !== 'deep';
    const hasDeep = config.kind !== 'wide';
    this.wide = hasWide
      ? Array.from({ length: this.outputs }, (_, k) => new WideLinear({ name: this.outputs === 1 ? 'wide' : `wide.${k}`, features: sizes.wide, optimizer: config.optimizers.wide }))
      : [];
    const sequences = new Set(hasDeep ? this.deepPart().sequencesOf(config.deep as never) : []);
    let col = 0;
    const width = embWidth(sizes);
    const embedded: Embedded[] = [];
    if (hasDeep) {
      for (const e of sizes.embeddings) {
        const table = new SparseTable({ name: `emb.${e.key}`, numRows: e.size, dim: e.dim, optimizer: config.optimizers.embeddings, init: { type: config.embeddingInit } }, rng.fork(`emb.${e.key}`));
        embedded.push({ key: e.key, table, grads: new RowGradients(table), slot: { feature: -1, pooling: e.pooling, width, col }, length: 0 });
        col += e.dim;
      }
      for (const s of sizes.sequences) {
        if (!sequences.has(s.key)) continue;
        const table = new SparseTable({ name: `emb.${s.key}`, numRows: s.size, dim: s.dim, optimizer: config.optimizers.embeddings, init: { type: config.embeddingInit } }, rng.fork(`emb.${s.key}`));
        embedded.push({ key: s.key, table, grads: new RowGradients(table), slot: null, length: s.length });
      }
    }
    this.embedded = embedded;
    this.dropoutInputs = dropoutInputs;
    this.dropoutRng = rng.fork('dropout');
  }

  /** Builds the model's graphs and tables for the given input sizes. */
  static async create(
    sizes: ModelSizes,
    configInput: ModelConfigInput | ModelConfig,
    options: { seed: number; executor?: Executor; threads?: number },
  ): Promise<WideDeepModel> {
    const config = parseModelConfig(configInput);
    if (sizes.objective === 'multiclass' && (sizes.numClasses ?? 0) < 2) {
      throw new WideDeepError('CONFIG', 'a multiclass objective needs numClasses >= 2', { field: 'label.classes' });
    }
    if (config.kind !== 'deep' && sizes.wide.length === 0) {
      throw new WideDeepError('CONFIG', `model kind ${config.kind} needs at least one wide feature`, {
        field: 'model.kind',
        fix: 'mark features with feeds: [wide], or use kind: deep',
      });
    }
    const rng = new Rng(options.seed);
    const dropout: DropoutInput[] = [];
    const forward = makeForward(sizes, config, (d) => dropout.push(...d));
    const program = buildTrainStep({
      forward,
      loss: LOSS[sizes.objective],
      optimizers: { deep: config.optimizers.deep },
      gradInputs: gradInputsOf(sizes, config),
      weighted: true,
    });
    const inference = buildForward({ forward, loss: LOSS[sizes.objective] });
    const threads = options.threads ?? autoThreads(program.params, sizes, config);
    const runner = await StepRunner.create(program, inference, {
      executor: options.executor ?? (await defaultExecutor()),
      rng: rng.fork('dense'),
      ...(threads !== undefined ? { threads } : {}),
    });
    return new WideDeepModel(sizes, config, runner, rng, dropout);
  }

  private deepPart(): DeepPart<unknown> {
    return DEEP_PARTS[this.config.deep.type] as DeepPart<unknown>;
  }

  /** Steps taken so far (the global 1-based step of the last update). */
  get steps(): number {
    return this.runner.steps;
  }

  /**
   * Starts keeping exponential moving averages of every trainable weight (train.ema), from the current
   * weights: each later step moves them by (1 - decay) toward the new weights. Training still updates the
   * weights themselves; `withAveragedWeights` scores with the averages, `finishAveraging` makes them the
   * model's weights.
   */
  startAveraging(decay: number): void {
    if (this.average) throw new WideDeepError('CONFIG', 'this model already averages its weights', { field: 'train.ema' });
    this.average = new ModelAverage(decay, this.tables(), this.runner);
  }

  /** The decay of the weight averages, or null when the model does not average. */
  get averageDecay(): number | null {
    return this.average?.decay ?? null;
  }

  /** Runs `fn` with the averaged weights in place of the weights (as they are when no averages are kept). */
  async withAveragedWeights<T>(fn: () => Promise<T>): Promise<T> {
    const avg = this.average;
    if (!avg) return fn();
    avg.sync();
    avg.swap();
    try {
      return await fn();
    } finally {
      avg.swap();
    }
  }

  /** Brings the weight averages up to the current step (a no-op without averages). */
  syncAverages(): void {
    this.average?.sync();
  }

  /** Ends averaging: the averages become the model's weights (optimizer state stays the trained one's). */
  finishAveraging(): void {
    const avg = this.average;
    if (!avg) return;
    avg.sync();
    avg.swap();
    this.average = null;
  }

  private buffers(n: number) {
    let s = this.scratch.get(n);
    if (!s) {
      const width = embWidth(this.sizes);
      const seq = new Map<string, { seq: Float32Array; mask: Float32Array }>();
      for (const e of this.embedded) {
        if (!e.slot) seq.set(e.key, { seq: new Float32Array(n * e.length * e.table.dim), mask: new Float32Array(n * e.length) });
      }
      const masks = new Map(this.dropoutInputs.map((d) => [d.name, new Float32Array(n * d.width)]));
      s = { emb: new Float32Array(n * width), wide: new Float32Array(n * this.outputs), wideK: new Float32Array(n), seq, labels: new Float32Array(n * this.outputs), masks };
      if (this.scratch.size > 8) this.scratch.clear();
      this.scratch.set(n, s);
    }
    return s;
  }

  /** Gathers embeddings and computes wide logits: the graph's data inputs for this batch. */
  private inputs(batch: ModelBatch, training: boolean): Record<string, ExecTensor> {
    const n = batch.size;
    const s = this.buffers(n);
    const feeds: Record<string, ExecTensor> = {};
    const k = this.outputs;
    if (this.wide.length > 0) {
      const wb = requireBatch(batch.wide, 'wide', n);
      this.wide.forEach((w, j) => {
        w.logits(wb, s.wideK);
        for (let b = 0; b < n; b++) s.wide[b * k + j] = s.wideK[b] as number;
      });
      feeds.wide_logit = { type: 'float32', data: s.wide, dims: [n, k] };
    }
    if (this.embedded.length > 0 || this.sizes.denseWidth > 0) {
      const db = this.embedded.length > 0 ? requireBatch(batch.deep, 'deep', n) : undefined;
      let width = 0;
      for (const e of this.embedded) {
        const d = db as SparseBatch;
        if (e.slot) {
          gatherPooled(e.table, d, { ...e.slot, feature: featureIndex(d, e.key) }, s.emb);
          width = e.slot.width;
        } else {
          const t = s.seq.get(e.key)!;
          gatherSequence(e.table, d, { feature: featureIndex(d, e.key), maxLen: e.length }, t.seq, t.mask);
          feeds[`seq_${e.key}`] = { type: 'float32', data: t.seq, dims: [n, e.length, e.table.dim] };
          feeds[`mask_${e.key}`] = { type: 'float32', data: t.mask, dims: [n, e.length] };
        }
      }
      if (width > 0) feeds.emb = { type: 'float32', data: s.emb, dims: [n, width] };
      if (this.sizes.denseWidth > 0 && this.config.kind !== 'wide') {
        const dense = batch.dense;
        if (!dense || dense.length !== n * this.sizes.denseWidth) {
          throw new WideDeepError('BATCH', `the dense block must be [${n}, ${this.sizes.denseWidth}], got ${dense?.length ?? 'none'} values`, { field: 'dense' });
        }
        feeds.num = { type: 'float32', data: dense, dims: [n, this.sizes.denseWidth] };
      }
    }
    if (training) {
      for (const d of this.dropoutInputs) {
        const m = s.masks.get(d.name)!;
        fillDropoutMask(this.dropoutRng, d.rate, m);
        feeds[d.name] = { type: 'float32', data: m, dims: [n, d.width] };
      }
    }
    return feeds;
  }

  private exclusive<T>(call: () => Promise<T>): Promise<T> {
    const run = this.turn.then(call, call);
    this.turn = run.catch(() => undefined);
    return run;
  }

  /** One joint training step: returns the mean loss of the batch. */
  trainStep(batch: ModelBatch, rates: GroupRates = {}): Promise<number> {
    return this.exclusive(() => this.step(batch, rates));
  }

  private async step(batch: ModelBatch, rates: GroupRates): Promise<number> {
    const n = batch.size;
    const labels = batch.labels;
    if (!labels || labels.length !== n) throw new WideDeepError('BATCH', `a training batch needs ${n} labels`, { field: 'labels' });
    const s = this.buffers(n);
    const k = this.outputs;
    if (k === 1) s.labels.set(labels);
    else {
      s.labels.fill(0);
      for (let b = 0; b < n; b++) {
        const c = labels[b] as number;
        if (!(c >= 0 && c < k && Number.isInteger(c))) throw new WideDeepError('BATCH', `label ${c} of example ${b} is not a class index in [0, ${k})`, { field: 'labels' });
        s.labels[b * k + c] = 1;
      }
    }
    const feeds = this.inputs(batch, true);
    const weights = batch.weights ?? ones(n);
    const deepLr = rates.deep ?? lrOf(this.config.optimizers.deep);
    const r = await this.runner.step({ size: n, inputs: feeds, labels: s.labels, weights }, { deep: deepLr });
    const step = this.runner.steps;
    const avg = this.average;
    avg?.afterDenseStep();
    const dWide = r.grads.get('wide_logit');
    if (dWide) {
      this.wide.forEach((w, j) => {
        for (let b = 0; b < n; b++) s.wideK[b] = dWide[b * k + j] as number;
        w.backward(batch.wide as SparseBatch, s.wideK, step, rates.wide, avg?.of(w.table));
      });
    }
    const dEmb = r.grads.get('emb');
    for (const e of this.embedded) {
      const d = batch.deep as SparseBatch;
      e.grads.reset();
      if (e.slot) e.grads.addPooled(d, { ...e.slot, feature: featureIndex(d, e.key) }, dEmb as Float32Array);
      else e.grads.addSequence(d, { feature: featureIndex(d, e.key), maxLen: e.length }, r.grads.get(`seq_${e.key}`) as Float32Array);
      e.grads.apply(step, rates.embeddings, avg?.of(e.table));
    }
    return r.loss;
  }

  /** Scores a batch with the current weights. The arrays are fresh copies; concurrent calls queue. */
  predict(batch: ModelBatch): Promise<Prediction> {
    return this.exclusive(() => this.score(batch));
  }

  private async score(batch: ModelBatch): Promise<Prediction> {
    const feeds = this.inputs(batch, false);
    const r = await this.runner.predict({ size: batch.size, inputs: feeds });
    const wideLogits = feeds.wide_logit ? Float32Array.from(feeds.wide_logit.data as Float32Array) : new Float32Array(batch.size * this.outputs);
    return { logits: Float32Array.from(r.logits), prediction: Float32Array.from(r.prediction), wideLogits };
  }

  /** Every sparse table of the model (wide weights, embeddings), by name. */
  tables(): SparseTable[] {
    return [...this.wide.map((w) => w.table), ...this.embedded.map((e) => e.table)];
  }

  /**
   * The model's tensors by name. `full`: weights, optimizer state and buffers (checkpoints; the tables are
   * interleaved rows [w | state]), and the weight averages while the model averages (`ema.<name>`, synced to
   * the current step); `weights`: only what prediction reads (tables as [numRows, dim]).
   */
  exportState(what: 'full' | 'weights'): ModelState {
    const tensors = new Map<string, Float32Array>();
    for (const t of this.tables()) tensors.set(t.name, what === 'full' ? t.exportState() : t.exportWeights());
    const dense = this.runner.state;
    const keep = what === 'full' ? [...dense.keys()] : [...this.runner.forward.params, ...this.runner.forward.buffers].map((p) => p.name);
    for (const name of keep) tensors.set(`dense.${name}`, Float32Array.from(dense.get(name) as Float32Array));
    if (what === 'full') this.average?.export(tensors);
    return { kind: what, tensors, steps: this.runner.steps, dropoutRng: this.dropoutRng.state() };
  }

  /**
   * Restores what `exportState` saved from a model of the same config and sizes. A state with weight averages
   * goes into a model that averages (startAveraging first), and a full state for one that averages needs
   * them; weights alone restart its averages from those weights.
   */
  importState(state: ModelState): void {
    const dense = new Map<string, Float32Array>();
    const byName = new Map(this.tables().map((t) => [t.name, t]));
    let averages = false;
    for (const [name, data] of state.tensors) {
      if (name.startsWith(AVERAGE_PREFIX)) {
        averages = true;
        continue;
      }
      if (name.startsWith('dense.')) {
        dense.set(name.slice(6), data);
        continue;
      }
      const t = byName.get(name);
      if (!t) throw new WideDeepError('BUNDLE', `the saved state has a table ${name} this model does not have`, { field: name, fix: 'load it into a model built from the same config and feature spec' });
      if (state.kind === 'full') t.importState(data);
      else t.importWeights(data);
    }
    for (const t of this.tables()) {
      if (!state.tensors.has(t.name)) throw new WideDeepError('BUNDLE', `the saved state lacks table ${t.name}`, { field: t.name });
    }
    if (averages && !this.average) {
      throw new WideDeepError('BUNDLE', 'the saved state holds weight averages (it was written with train.ema) and this model keeps none', {
        field: 'train.ema',
        fix: 'resume with the config the state was written with (train.ema set)',
      });
    }
    this.runner.load(dense, state.steps);
    this.dropoutRng.setState(state.dropoutRng);
    if (this.average && state.kind === 'weights') this.average = new ModelAverage(this.average.decay, this.tables(), this.runner);
    else this.average?.import(state.tensors);
  }

  async release(): Promise<void> {
    await this.runner.release();
  }
}

/** A snapshot of a model's tensors (see WideDeepModel.exportState). */
export interface ModelState {
  readonly kind: 'full' | 'weights';
  readonly tensors: ReadonlyMap<string, Float32Array>;
  readonly steps: number;
  readonly dropoutRng: [number, number, number, number];
}

function ones(n: number): Float32Array {
  return new Float32Array(n).fill(1);
}

function lrOf(c: { lr: number }): number {
  return c.lr;
}

function requireBatch(b: SparseBatch | undefined, which: string, n: number): SparseBatch {
  if (!b) throw new WideDeepError('BATCH', `the model needs the ${which} SparseBatch`, { field: which });
  if (b.batchSize !== n) throw new WideDeepError('BATCH', `the ${which} SparseBatch has ${b.batchSize} examples, the batch ${n}`, { field: which });
  return b;
}

