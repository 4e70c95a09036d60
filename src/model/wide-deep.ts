import { WideDeepError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import type { DropoutInput } from '../graph/nn.js';
import { buildForward, buildTrainStep } from '../graph/train-step.js';
import type { LossKind } from '../graph/losses.js';
import type { ExecTensor, Executor } from '../runtime/executor.js';
import { defaultExecutor } from '../runtime/default.js';
import { StepRunner } from '../runtime/step-runner.js';
import { SparseLanes, type SparseTable, type WideLinear } from '../sparse/index.js';
import { AVERAGE_PREFIX, ModelAverage } from './average.js';
import { checkBuildable } from './buildable.js';
import { type ModelConfig, type ModelConfigInput, parseModelConfig } from './config.js';
import { checkFiniteOutput } from './finite-output.js';
import { autoThreads, gradInputsOf, makeForward } from './forward.js';
import { type ModelPart, type PartUpdate, SizedBuffers } from './part.js';
import { denseOptimizersOf, type Embedded, EmbeddingsModelPart, partsOf, WideModelPart, withSparseLanes } from './parts/index.js';
import { type ModelBatch, type ModelSizes, outputsOf } from './sizes.js';
import { defaultSparseWorkers } from './sparse-workers.js';

export const LOSS: Record<ModelSizes['objective'], LossKind> = { binary: 'bce', regression: 'mse', multiclass: 'softmax_ce' };

/**
 * Learning rates of the parameter groups for one step, by group name (`wide`, `embeddings`, `deep`: a
 * schedule's output over `WideDeepModel.groups`). A group left out trains at its base rate.
 */
export type GroupRates = { readonly [group: string]: number | undefined };

/** A parameter group of a model: its name and the base rate a schedule scales. */
export interface ParameterGroup {
  readonly name: string;
  readonly baseRate: number;
}

export interface Prediction {
  /** [N, K] joint logits. */
  readonly logits: Float32Array;
  /** [N, K] probabilities (binary, multiclass) or values (regression). */
  readonly prediction: Float32Array;
  /** [N, K] the wide part's share of the logits (zeros without a wide part). */
  readonly wideLogits: Float32Array;
}

/**
 * The Wide & Deep model (Cheng et al. 2016): a wide linear model over sparse raw and crossed features and a
 * deep network over learned embeddings and numerics, whose logits are summed into one output and trained
 * jointly: each step computes the wide logits (typed arrays), runs the dense graph once (forward, loss,
 * backward, dense update) and sends the gradient of the joint loss back into the wide weights and the
 * embedding rows the batch touched.
 *
 * The model is a composition of parts (`part.ts`, `partsOf(config)`): each fills its share of the step's
 * feeds, adds its logit to the graph and applies the gradients of its inputs; the model runs them in order
 * and never branches on a specific part.
 */
export class WideDeepModel {
  readonly config: ModelConfig;
  readonly outputs: number;
  /** The model's parts, in step order (see `partsOf`). */
  readonly parts: readonly ModelPart[];
  /** The parameter groups, one per part, in part order (what the trainer's schedules scale). */
  readonly groups: readonly ParameterGroup[];
  /** Per part (aligned with `parts`): the dense graph's parameter groups it trains at its group's rate. */
  private readonly denseGroups: readonly (readonly string[])[];
  private readonly dropoutRng: Rng;
  /** Weight averages while train.ema averages (see startAveraging). */
  private average: ModelAverage | null = null;
  /** The last queued runner call: trainStep and predict share the parts' buffers and the runner's outputs, so they take turns. */
  private turn: Promise<unknown> = Promise.resolve();
  private readonly labels = new SizedBuffers((n) => new Float32Array(n * this.outputs));
  /** Example weights of 1, for batches without weights (read only: a feed). */
  private readonly unitWeights = new SizedBuffers((n) => new Float32Array(n).fill(1));

  private constructor(
    readonly sizes: ModelSizes,
    config: ModelConfig,
    readonly runner: StepRunner,
    rng: Rng,
    dropout: readonly DropoutInput[],
    private readonly lanes: SparseLanes | null,
  ) {
    this.config = config;
    this.outputs = outputsOf(sizes);
    this.dropoutRng = rng.fork('dropout');
    const context = { sizes, config, rng, dropout, dropoutRng: this.dropoutRng, ...(lanes ? { lanes } : {}) };
    this.parts = (lanes ? withSparseLanes(partsOf(config)) : partsOf(config)).map((def) => def.create(context));
    this.groups = this.parts.map((p) => ({ name: p.def.group, baseRate: p.def.baseRate(config) }));
    this.denseGroups = this.parts.map((p) => Object.keys(p.def.denseOptimizers(config)));
  }

  /** The wide part's linear models, one per output (none without a wide part). */
  get wide(): readonly WideLinear[] {
    return this.parts.flatMap((p) => (p instanceof WideModelPart ? p.linears : []));
  }

  /** The embedded features (none without an embeddings part). */
  get embedded(): readonly Embedded[] {
    return this.parts.flatMap((p) => (p instanceof EmbeddingsModelPart ? p.embedded : []));
  }

  /**
   * Builds the model's graphs and tables for the given input sizes. `threads`: ONNX Runtime's intra-op
   * threads; `sparseWorkers`: worker threads beside this one for the embedding tables' gathers and updates
   * (`SparseLanes`; the weights are the same bit for bit with any count, or without; 0 for none; default
   * `defaultSparseWorkers`: none for tables that fit the caches, else the cores beside this thread).
   */
  static async create(
    sizes: ModelSizes,
    configInput: ModelConfigInput | ModelConfig,
    options: { seed: number; executor?: Executor; threads?: number; sparseWorkers?: number },
  ): Promise<WideDeepModel> {
    const config = parseModelConfig(configInput);
    checkBuildable(sizes, config);
    const rng = new Rng(options.seed);
    const dropout: DropoutInput[] = [];
    const forward = makeForward(sizes, config, (d) => dropout.push(...d));
    const program = buildTrainStep({
      forward,
      loss: LOSS[sizes.objective],
      optimizers: denseOptimizersOf(config),
      gradInputs: gradInputsOf(sizes, config),
      weighted: true,
    });
    const inference = buildForward({ forward, loss: LOSS[sizes.objective] });
    const threads = options.threads ?? autoThreads(program.params, sizes, config);
    const executor = options.executor ?? (await defaultExecutor());
    const runner = await StepRunner.create(program, inference, {
      executor,
      rng: rng.fork('dense'),
      ...(threads !== undefined ? { threads } : {}),
    });
    const workers = options.sparseWorkers ?? defaultSparseWorkers(sizes, config, options.threads ?? executor.defaultThreads());
    const lanes = workers > 0 ? await SparseLanes.start(workers) : null;
    return new WideDeepModel(sizes, config, runner, rng, dropout, lanes);
  }

  /** The sparse worker threads this model's steps use (`sparseWorkers`; 0 for none). */
  get sparseWorkers(): number {
    return this.lanes?.workerCount ?? 0;
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

  /** The graph's data inputs for this batch: every part's feeds (wide logits, gathered embeddings, numerics, masks). */
  private inputs(batch: ModelBatch, training: boolean): Record<string, ExecTensor> {
    const feeds: Record<string, ExecTensor> = {};
    for (const p of this.parts) p.beginFeed?.(batch);
    // One start for every part's staged sparse work: the lanes run it while the parts feed on this thread.
    this.lanes?.startGather();
    for (const p of this.parts) p.feed(batch, feeds, training);
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
    const onehot = this.labels.of(n);
    const k = this.outputs;
    if (k === 1) onehot.set(labels);
    else {
      onehot.fill(0);
      for (let b = 0; b < n; b++) {
        const c = labels[b] as number;
        if (!(c >= 0 && c < k && Number.isInteger(c))) throw new WideDeepError('BATCH', `label ${c} of example ${b} is not a class index in [0, ${k})`, { field: 'labels' });
        onehot[b * k + c] = 1;
      }
    }
    const feeds = this.inputs(batch, true);
    const weights = batch.weights ?? this.unitWeights.of(n);
    const dense: Record<string, number> = {};
    this.groups.forEach((g, i) => {
      for (const group of this.denseGroups[i] ?? []) dense[group] = rates[g.name] ?? g.baseRate;
    });
    const r = await this.runner.step({ size: n, inputs: feeds, labels: onehot, weights }, dense);
    const step = this.runner.steps;
    const avg = this.average;
    avg?.afterDenseStep();
    const averageOf = (t: SparseTable) => avg?.of(t);
    const updates = this.parts.map((p) => ({ batch, grads: r.grads, step, lr: rates[p.def.group], averageOf }));
    this.parts.forEach((p, i) => p.beginUpdate?.(updates[i] as PartUpdate));
    this.lanes?.startUpdate();
    this.parts.forEach((p, i) => p.update(updates[i] as PartUpdate));
    return r.loss;
  }

  /**
   * Scores a batch with the current weights. The arrays are fresh copies; concurrent calls queue. A NaN or
   * infinite output is an error naming the example's row (`checkFiniteOutput`), never a prediction.
   */
  predict(batch: ModelBatch): Promise<Prediction> {
    return this.exclusive(() => this.score(batch));
  }

  private async score(batch: ModelBatch): Promise<Prediction> {
    const feeds = this.inputs(batch, false);
    const r = await this.runner.predict({ size: batch.size, inputs: feeds });
    const wideLogits = feeds.wide_logit ? Float32Array.from(feeds.wide_logit.data as Float32Array) : new Float32Array(batch.size * this.outputs);
    const p = { logits: Float32Array.from(r.logits), prediction: Float32Array.from(r.prediction), wideLogits };
    checkFiniteOutput(batch, p, this.outputs);
    return p;
  }

  /** Every sparse table of the model (wide weights, embeddings), by name. */
  tables(): SparseTable[] {
    return this.parts.flatMap((p) => p.tables);
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
    await Promise.all([this.runner.release(), this.lanes?.release()]);
  }
}

/** A snapshot of a model's tensors (see WideDeepModel.exportState). */
export interface ModelState {
  readonly kind: 'full' | 'weights';
  readonly tensors: ReadonlyMap<string, Float32Array>;
  readonly steps: number;
  readonly dropoutRng: [number, number, number, number];
}

