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

/** The part of the WebAssembly JavaScript API used here (Node's type definitions carry none of it). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: object };
  Memory: new (descriptor: { initial: number; maximum: number }) => { readonly buffer: ArrayBuffer };
}
const wasm = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

const PAGE = 65_536;
/** wasm32: 4 GiB in all. */
const MAX_PAGES = 65_536;

let compiled: object | null | undefined;

/** The compiled module, or null where this platform cannot compile it (no WebAssembly SIMD). */
function denseModule(): object | null {
  if (compiled === undefined) {
    try {
      compiled = wasm ? new wasm.Module(Uint8Array.from(atob(DENSE_KERNELS_WASM), (c) => c.charCodeAt(0))) : null;
    } catch {
      compiled = null;
    }
  }
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
  const pages = Math.max(1, Math.ceil(bytes / PAGE));
  const module = denseModule();
  if (pages > MAX_PAGES || module === null) return undefined;
  try {
    const memory = new wasm!.Memory({ initial: pages, maximum: pages });
    const exports = new wasm!.Instance(module, { env: { memory } }).exports as DenseKernelExports;
    return { buffer: memory.buffer, exports };
  } catch {
    return undefined;
  }
}
