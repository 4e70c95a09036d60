import { WideDeepError } from '../core/errors.js';
import { type DenseOptimizerResolved, hyperValuesOf } from '../graph/optimizers.js';
import type { ParamSpec } from '../graph/params.js';
import type { SlotSpec } from '../graph/train-step.js';
import { type UpdateScalars, updateDense, updateScalars } from './dense-update.js';
import { type DenseKernelExports, denseKernelMemory } from './simd/dense-kernels.js';

interface Entry {
  readonly param: ParamSpec;
  readonly optimizer: DenseOptimizerResolved;
  readonly value: Float32Array;
  readonly grad: Float32Array;
  readonly slots: readonly Float32Array[];
  readonly slotNames: readonly string[];
}

/** Bytes before the first region (kept clear of anything the module might place at address 0). */
const HEADER = 64;
/** Regions start on cache lines. */
const ALIGN = 64;

const floatsOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/**
 * The dense parameters of a training step, their optimizer slots and their gradients, and the optimizer update
 * that the step applies after the graph has computed the gradients. One copy of each, updated in place: the
 * graph reads the weights and writes the gradients (views fed to ONNX Runtime), then `apply` runs each
 * parameter's rule. Where WebAssembly SIMD is available all of it lives in one memory of the dense kernels
 * (wasm/dense-kernels.ts), which do the update four floats at a time; elsewhere plain arrays and `updateDense`,
 * with the same result bit for bit.
 */
export class DenseState {
  /** Every parameter and slot by name (`<param>__m` etc.): live views, the state bundles and checkpoints hold. */
  readonly values = new Map<string, Float32Array>();
  /** The gradient of each parameter, written by the graph each step. */
  readonly grads = new Map<string, Float32Array>();

  private constructor(
    private readonly entries: readonly Entry[],
    private readonly kernels: DenseKernelExports | undefined,
    /** Bytes held: the kernel memory, or the arrays' sum. */
    readonly bytes: number,
  ) {
    for (const e of entries) {
      this.values.set(e.param.name, e.value);
      e.slotNames.forEach((name, k) => this.values.set(name, e.slots[k] as Float32Array));
      this.grads.set(e.param.name, e.grad);
    }
  }

  /**
   * Zeroed parameters, slots at their initial values (`slots` as the step program names them), zeroed gradients.
   * `kernels: false` keeps plain arrays and the JavaScript loops (the reference the kernels are tested against).
   */
  static create(
    params: readonly ParamSpec[],
    slots: readonly SlotSpec[],
    optimizers: Readonly<Record<string, DenseOptimizerResolved>>,
    kernels = true,
  ): DenseState {
    const slotsOf = (p: ParamSpec): SlotSpec[] => slots.filter((s) => s.param === p.name);
    let end = HEADER;
    const at: number[] = [];
    const take = (floats: number): number => {
      at.push(end);
      const here = end;
      end += Math.ceil((4 * floats) / ALIGN) * ALIGN;
      return here;
    };
    for (const p of params) for (let k = 0; k < 2 + slotsOf(p).length; k++) take(floatsOf(p.shape));
    const memory = kernels ? denseKernelMemory(end) : undefined;
    const floats = (offset: number, n: number): Float32Array => (memory ? new Float32Array(memory.buffer, offset, n) : new Float32Array(n));
    let next = 0;
    const entries = params.map((param): Entry => {
      const optimizer = optimizers[param.group];
      if (!optimizer) throw new WideDeepError('CONFIG', `no optimizer for parameter group ${param.group}`, { field: `optimizers.${param.group}` });
      const n = floatsOf(param.shape);
      const value = floats(at[next++] as number, n);
      const grad = floats(at[next++] as number, n);
      const own = slotsOf(param);
      return { param, optimizer, value, grad, slots: own.map((s) => floats(at[next++] as number, n).fill(s.init)), slotNames: own.map((s) => s.name) };
    });
    return new DenseState(entries, memory?.exports, memory ? memory.buffer.byteLength : end - HEADER);
  }

  /** Whether the SIMD kernels do the update (else the JavaScript loops). */
  get simd(): boolean {
    return this.kernels !== undefined;
  }

  /**
   * The optimizer step `step` (1-based) of every parameter from its gradient, with each group's learning rate.
   * A group without one is an error before anything is updated.
   */
  apply(step: number, lrs: Readonly<Record<string, number>>): void {
    const scalars = new Map<string, UpdateScalars>();
    for (const e of this.entries) {
      if (scalars.has(e.param.group)) continue;
      const lr = lrs[e.param.group];
      if (lr === undefined) throw new WideDeepError('CONFIG', `no learning rate for group ${e.param.group}`, { field: e.param.group });
      scalars.set(e.param.group, updateScalars(e.optimizer, hyperValuesOf(e.optimizer, step, lr)));
    }
    for (const e of this.entries) {
      const s = scalars.get(e.param.group) as UpdateScalars;
      const k = this.kernels;
      if (!k) {
        updateDense(e.optimizer, s, e.value, e.grad, e.slots);
        continue;
      }
      const [p, g, n] = [e.value.byteOffset, e.grad.byteOffset, e.value.length];
      const c = e.optimizer;
      if (c.type === 'sgd' && e.slots.length === 0) k.sgd(p, g, n, s.lr, s.wd);
      else if (c.type === 'sgd') k.momentum(p, g, (e.slots[0] as Float32Array).byteOffset, n, s.lr, s.a, s.wd);
      else if (c.type === 'adagrad') k.adagrad(p, g, (e.slots[0] as Float32Array).byteOffset, n, s.lr, s.a, s.wd);
      else k.adam(p, g, (e.slots[0] as Float32Array).byteOffset, (e.slots[1] as Float32Array).byteOffset, n, s.lr, s.a, s.b1, s.k1, s.b2, s.k2, s.wd);
    }
  }
}
