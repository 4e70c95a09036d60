import { WideDeepError } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import { initParam } from '../graph/params.js';
import { type ForwardProgram, type StepProgram, gradOf, next } from '../graph/train-step.js';
import type { Value } from '../graph/builder.js';
import { DenseState } from './dense-state.js';
import type { ExecTensor, Executor, Session } from './executor.js';

/** A batch for the dense graph: every data input by name (float32 unless given otherwise) and the batch size. */
export interface DenseBatch {
  readonly size: number;
  readonly inputs: Readonly<Record<string, ExecTensor>>;
  /** [N, K] labels (training only). */
  readonly labels?: Float32Array;
  /** [N] per-example weights, when the program is weighted. */
  readonly weights?: Float32Array;
}

export interface StepResult {
  readonly loss: number;
  /** [N, K]; valid until the next step with the same batch size. */
  readonly logits: Float32Array;
  /** Gradient of the loss with respect to each `gradInputs` data input; valid until the next step. */
  readonly grads: ReadonlyMap<string, Float32Array>;
}

interface OutBuffers {
  readonly logits: Float32Array;
  readonly prediction: Float32Array;
  readonly grads: Map<string, Float32Array>;
}

function resolve(shape: readonly (number | string)[], n: number): number[] {
  return shape.map((d) => (typeof d === 'number' ? d : n));
}

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * A new feeds object holding the batch's inputs, which the caller extends with the state and hyperparameters.
 * Not `{ ...batch.inputs }`: under Node 20's V8 an object made by spread and then given new keys gets a map of
 * its own, and every such object outlived the scavenges until a full GC (a loop of predictions promoted 280-380
 * KB at each scavenge, which paused 1.6-1.8 ms; bench/gc-retention-case.ts measures the serving path).
 */
function feedsOf(batch: DenseBatch): Record<string, ExecTensor> {
  return Object.assign({}, batch.inputs);
}

/**
 * Runs a training-step program: one `session.run` per step, which computes the loss, the logits and every
 * gradient, then the dense optimizers' update of the weights and slots in place (`DenseState.apply`). The
 * weights are fed to the graph and the gradients written by it as views of the DenseState, so nothing is copied.
 * Buffers that the graph updates itself (batch-norm statistics) are kept in two ping-pong sets (step t reads A
 * and writes B, step t+1 reads B and writes A), so no output aliases its own input. Also scores with the current
 * weights through the inference program.
 */
export class StepRunner {
  private readonly live = new Map<string, Float32Array>();
  private nxt = new Map<string, Float32Array>();
  private readonly out = new Map<number, OutBuffers>();
  private stepCount = 0;

  private constructor(
    readonly program: StepProgram,
    readonly forward: ForwardProgram,
    private readonly trainSession: Session,
    private readonly inferSession: Session,
    private readonly dense: DenseState,
  ) {
    for (const [k, v] of dense.values) this.live.set(k, v);
  }

  static async create(
    program: StepProgram,
    forward: ForwardProgram,
    options: { executor: Executor; rng: Rng; threads?: number },
  ): Promise<StepRunner> {
    const opts = options.threads !== undefined ? { threads: options.threads } : {};
    const [t, i] = await Promise.all([
      options.executor.createSession(program.model, opts),
      options.executor.createSession(forward.model, opts),
    ]);
    const r = new StepRunner(program, forward, t, i, DenseState.create(program.params, program.slots, program.optimizers));
    for (const p of program.params) r.live.get(p.name)!.set(initParam(p, options.rng.fork(p.name)));
    for (const b of program.buffers) {
      r.live.set(b.name, new Float32Array(size(b.shape)).fill(b.initValue));
      r.nxt.set(b.name, new Float32Array(size(b.shape)));
    }
    return r;
  }

  /** Number of steps taken. */
  get steps(): number {
    return this.stepCount;
  }

  /** Current values of every parameter, slot and buffer (live views: copy before the next step if kept). */
  get state(): ReadonlyMap<string, Float32Array> {
    return this.live;
  }

  /** The gradient of every dense parameter at the last step, after clipping (live views, as `state`). */
  get paramGrads(): ReadonlyMap<string, Float32Array> {
    return this.dense.grads;
  }

  /** Bytes held for the dense state: weights, slots, gradients, and both sets of buffers. */
  get stateBytes(): number {
    let bytes = this.dense.bytes;
    for (const b of this.program.buffers) bytes += 2 * (this.live.get(b.name) as Float32Array).byteLength;
    return bytes;
  }

  /** Overwrites parameters / slots / buffers by name (e.g. from a checkpoint); sets the step count. */
  load(values: ReadonlyMap<string, Float32Array>, steps = this.stepCount): void {
    for (const [k, v] of values) {
      const dst = this.live.get(k);
      if (!dst) throw new WideDeepError('BUNDLE', `unknown dense tensor ${k}`, { field: k });
      if (dst.length !== v.length) {
        throw new WideDeepError('BUNDLE', `dense tensor ${k} has ${v.length} values, the model needs ${dst.length}`, { field: k });
      }
      dst.set(v);
    }
    this.stepCount = steps;
  }

  private buffers(n: number): OutBuffers {
    let b = this.out.get(n);
    if (!b) {
      const k = size(resolve(this.program.logitsShape, n));
      const grads = new Map<string, Float32Array>();
      for (const name of this.program.gradInputs) {
        const v = this.program.dataInputs.find((d) => d.name === name) as Value;
        grads.set(name, new Float32Array(size(resolve(v.shape, n))));
      }
      b = { logits: new Float32Array(k), prediction: new Float32Array(k), grads };
      if (this.out.size > 8) this.out.clear();
      this.out.set(n, b);
    }
    return b;
  }

  private feedState(feeds: Record<string, ExecTensor>, names: Iterable<{ name: string; shape: readonly number[] }>): void {
    for (const s of names) feeds[s.name] = { type: 'float32', data: this.live.get(s.name) as Float32Array, dims: s.shape };
  }

  /** One training step with per-group learning rates. */
  async step(batch: DenseBatch, lrs: Readonly<Record<string, number>>): Promise<StepResult> {
    const p = this.program;
    const n = batch.size;
    if (!batch.labels) throw new WideDeepError('BATCH', 'a training batch needs labels');
    const feeds = feedsOf(batch);
    feeds.labels = { type: 'float32', data: batch.labels, dims: resolve(p.logitsShape, n) };
    if (batch.weights) feeds.weights = { type: 'float32', data: batch.weights, dims: [n, 1] };
    this.feedState(feeds, p.params);
    this.feedState(feeds, p.buffers);
    const out = this.buffers(n);
    const fetch: Record<string, ExecTensor | null> = {
      loss: null,
      logits: { type: 'float32', data: out.logits, dims: resolve(p.logitsShape, n) },
    };
    for (const param of p.params) fetch[gradOf(param.name)] = { type: 'float32', data: this.dense.grads.get(param.name) as Float32Array, dims: param.shape };
    for (const b of p.buffers) fetch[next(b.name)] = { type: 'float32', data: this.nxt.get(b.name) as Float32Array, dims: b.shape };
    for (const [name, buf] of out.grads) {
      const v = p.dataInputs.find((d) => d.name === name) as Value;
      fetch[gradOf(name)] = { type: 'float32', data: buf, dims: resolve(v.shape, n) };
    }
    const r = await this.trainSession.run(feeds, fetch);
    this.dense.apply(++this.stepCount, lrs);
    for (const b of p.buffers) {
      const fresh = this.nxt.get(b.name) as Float32Array;
      this.nxt.set(b.name, this.live.get(b.name) as Float32Array);
      this.live.set(b.name, fresh);
    }
    return { loss: (r.loss as ExecTensor).data[0] as number, logits: out.logits, grads: out.grads };
  }

  /** Scores a batch with the current weights: logits and predictions ([N, K]; valid until the next call). */
  async predict(batch: DenseBatch): Promise<{ logits: Float32Array; prediction: Float32Array }> {
    const f = this.forward;
    const n = batch.size;
    const feeds = feedsOf(batch);
    this.feedState(feeds, f.params);
    this.feedState(feeds, f.buffers);
    const out = this.buffers(n);
    const dims = resolve(f.logitsShape, n);
    await this.inferSession.run(feeds, {
      logits: { type: 'float32', data: out.logits, dims },
      prediction: { type: 'float32', data: out.prediction, dims },
    });
    return { logits: out.logits, prediction: out.prediction };
  }

  async release(): Promise<void> {
    await Promise.all([this.trainSession.release(), this.inferSession.release()]);
  }
}
