import { compileWasm, WASM_MAX_PAGES, WASM_PAGE, wasmApi } from '../../core/wasm-module.js';
import { DENSE_KERNELS_WASM } from './dense-kernels-wasm.js';

/**
 * The WebAssembly SIMD kernels of the dense optimizers (source: wasm/dense-kernels.ts): SGD, SGD with momentum,
 * AdaGrad and Adam over float32 arrays, in place, bit for bit the arithmetic of `updateDense`
 * (src/runtime/dense-update.ts). A kernel can only touch its module's memory, so the weights, slots and gradients
 * it updates live in one (`denseKernelMemory`): a WebAssembly.Memory that is not shared, since ONNX Runtime
 * refuses views of shared memory as inputs. The memory is made at its full size and never grows, so that views
 * of it stay valid.
 */

/** The module's functions (pointers are byte offsets in its memory, `n` counts floats). */
export interface DenseKernelExports {
  sgd(p: number, g: number, n: number, lr: number, wd: number): void;
  momentum(p: number, g: number, v: number, n: number, lr: number, mu: number, wd: number): void;
  adagrad(p: number, g: number, a: number, n: number, lr: number, eps: number, wd: number): void;
  adam(p: number, g: number, m: number, v: number, n: number, lr: number, eps: number, b1: number, k1: number, b2: number, k2: number, wd: number): void;
}

let compiled: object | null | undefined;

/** The compiled module, or null where this platform cannot compile it (no WebAssembly SIMD). */
function denseModule(): object | null {
  if (compiled === undefined) compiled = compileWasm(DENSE_KERNELS_WASM);
  return compiled;
}

export interface DenseKernelMemory {
  readonly buffer: ArrayBuffer;
  readonly exports: DenseKernelExports;
}

/**
 * A memory of at least `bytes` with the kernels instantiated over it, or undefined where that cannot be (no
 * WebAssembly SIMD here, or more than 4 GiB): the caller then keeps plain arrays and `updateDense`.
 */
export function denseKernelMemory(bytes: number): DenseKernelMemory | undefined {
  const pages = Math.max(1, Math.ceil(bytes / WASM_PAGE));
  const module = denseModule();
  if (pages > WASM_MAX_PAGES || module === null) return undefined;
  try {
    const memory = new wasmApi!.Memory({ initial: pages, maximum: pages });
    const exports = new wasmApi!.Instance(module, { env: { memory } }).exports as DenseKernelExports;
    return { buffer: memory.buffer as ArrayBuffer, exports };
  } catch {
    return undefined;
  }
}
