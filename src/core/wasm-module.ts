/**
 * Loading the library's WebAssembly modules (the SIMD kernels, shipped as base64 so that Node, worker threads
 * and the browser bundle load the same bytes without a compiler).
 */

/** A WebAssembly.Memory as the kernels use it. */
export interface WasmMemory {
  readonly buffer: ArrayBufferLike;
  grow(pages: number): number;
}

/** The part of the WebAssembly JavaScript API the library uses (Node's type definitions carry none of it). */
export interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: object };
  Memory: new (descriptor: { initial: number; maximum: number; shared?: boolean }) => WasmMemory;
}

/** This platform's WebAssembly, if it has one. */
export const wasmApi = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

/** Bytes in a WebAssembly page. */
export const WASM_PAGE = 65_536;
/** wasm32 memories: at most 4 GiB in all. */
export const WASM_MAX_PAGES = 65_536;

/**
 * Compiles a module given as base64, or returns null where this platform cannot (no WebAssembly, or no SIMD:
 * the caller keeps its JavaScript loops).
 */
export function compileWasm(base64: string): object | null {
  try {
    return wasmApi ? new wasmApi.Module(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))) : null;
  } catch {
    return null;
  }
}
