import { compileWasm, WASM_MAX_PAGES, WASM_PAGE, type WasmMemory, wasmApi } from '../../core/wasm-module.js';
import { KERNELS_WASM } from './kernels-wasm.js';

/**
 * The WebAssembly SIMD kernels of the sparse side (source: wasm/sparse-kernels.ts): the one-id gather, the
 * deduplicated gradient sums of a feature of one-id bags (`RowGradients.addPooled`), the lazy Adam, AdaGrad
 * and FTRL row updates, and the wide part's logits and gradients (wide-kernels.ts), bit for bit the arithmetic
 * of their JavaScript loops (gather.ts, row-gradients.ts, lazy-adam.ts, adagrad.ts, wide.ts) at 1.5-3x their
 * speed through the library's calls (bench/simd-kernels-case.ts; BENCHMARKS.md "WebAssembly SIMD kernels").
 *
 * A kernel can only touch its module's memory, so a table that is to be worked by them lives in a kernel
 * memory: a shared WebAssembly.Memory holding a 64-byte header, then the table's floats (one table:
 * `kernelStorage`; several side by side: `kernelArena`), then regions taken as needed: each thread's scratch
 * (the step's ids, gathered rows, the rows and gradients of an update), copied in and out around a call, each
 * RowGradients' own region (its map, rows and sums), and blocks a caller keeps there (`kernelRegion`), which
 * the kernels read and write in place. Worker threads get the memory itself with the table
 * (`registerKernelMemory`). A table that is not in such a memory (a plain Float32Array; a platform without
 * WebAssembly SIMD or shared memory; a table of 4 GB or more) is worked by the JavaScript loops, which stay
 * the reference.
 *
 * ```
 * memory: [ header: end (uint32, Atomics) | table floats ... | (more tables) | scratch of thread A | a RowGradients' region | ... ]
 * ```
 */

/** A kernel memory: a shared WebAssembly.Memory. */
export type KernelMemoryObject = WasmMemory;

/** The module's functions (pointers are byte offsets in its memory). */
export interface KernelExports {
  gatherOne(data: number, stride: number, dim: number, numRows: number, ids: number, n: number, out: number, width: number, col: number): number;
  lazyAdam(data: number, dim: number, rows: number, count: number, grads: number, beta1: number, beta2: number, c1: number, c2: number, eps: number, wd: number, stepSize: number, invSqrtBc2: number): void;
  adagrad(data: number, dim: number, rows: number, count: number, grads: number, rate: number, eps: number, wd: number): void;
  ftrl(data: number, dim: number, rows: number, count: number, grads: number, alpha: number, beta: number, l1: number, l2: number): void;
  scatterOne(ids: number, n: number, numRows: number, col: number, dim: number, width: number, keys: number, slots: number, cap: number, rows: number, grads: number): number;
  wideAdd(data: number, stride: number, numRows: number, ids: number, offsets: number, n: number, out: number): number;
  wideScatter(ids: number, offsets: number, n: number, size: number, offset: number, d: number, map: number, cap: number, rows: number, grads: number, count: number): number;
}

const PAGE = WASM_PAGE;
const MAX_PAGES = WASM_MAX_PAGES;
const HEADER = 64;
/** Pages a table's memory keeps free for scratch beyond the table itself. */
const SCRATCH_PAGES = 256;

let compiled: object | null | undefined;

/** The compiled module (once per thread), or null where this platform cannot compile it (no WebAssembly SIMD). */
function kernelModule(): object | null {
  if (compiled === undefined) compiled = compileWasm(KERNELS_WASM);
  return compiled;
}

/** `bytes` rounded up to a multiple of 64, in arithmetic that holds past 2 GiB (bitwise operators wrap at 2^31). */
function align64(bytes: number): number {
  return Math.ceil(bytes / 64) * 64;
}

/** This thread's view of one kernel memory: the module instance and its scratch. */
export class KernelMemory {
  readonly exports: KernelExports;
  private scratchAt = 0;
  private scratchBytes = 0;
  private readonly end: Uint32Array;
  private whole: Int32Array | undefined;

  constructor(readonly memory: KernelMemoryObject) {
    this.exports = new wasmApi!.Instance(kernelModule()!, { env: { memory } }).exports as KernelExports;
    this.end = new Uint32Array(memory.buffer, 0, 1);
  }

  /** Byte offset of this thread's scratch, at least `bytes` long (taken from the memory, grown as needed); -1 when the memory is full. */
  scratch(bytes: number): number {
    if (bytes <= this.scratchBytes) return this.scratchAt;
    const want = Math.max(bytes, 2 * this.scratchBytes, 64 * 1024);
    const at = this.take(want);
    if (at < 0) return -1;
    this.scratchAt = at;
    this.scratchBytes = want;
    return at;
  }

  /** A new region of `bytes` (64-byte aligned) at the end of the memory, grown as needed; -1 when the memory is full. */
  take(bytes: number): number {
    for (;;) {
      const at = Atomics.load(this.end, 0);
      const next = at + align64(bytes);
      if (next > MAX_PAGES * PAGE - PAGE) return -1;
      if (Atomics.compareExchange(this.end, 0, at, next) !== at) continue;
      const have = this.memory.buffer.byteLength;
      if (next > have) this.memory.grow(Math.ceil((next - have) / PAGE));
      return at;
    }
  }

  /** A view of the memory as it is now (its buffer registered, so that the kernels know views of it). */
  f32(at: number, n: number): Float32Array {
    return new Float32Array(this.current(), at, n);
  }

  i32(at: number, n: number): Int32Array {
    return new Int32Array(this.current(), at, n);
  }

  /** Copies `src` (int32 or float32 values, as bits) to byte offset `at`, through views of the whole memory made once (again after it grew). */
  put(at: number, src: Int32Array | Float32Array): void {
    const buffer = this.current();
    if (this.whole?.buffer !== buffer) this.whole = new Int32Array(buffer);
    this.whole.set(src instanceof Int32Array ? src : new Int32Array(src.buffer, src.byteOffset, src.length), at >> 2);
  }

  private current(): ArrayBufferLike {
    const buffer = this.memory.buffer;
    if (!memories.has(buffer)) memories.set(buffer, this);
    return buffer;
  }
}

/** Per thread: the kernel memory behind each table buffer registered here. */
const memories = new WeakMap<ArrayBufferLike, KernelMemory>();

/** This thread's view of the kernel memory `data` lives in, where it is one. */
export function kernelOf(data: ArrayBufferView): KernelMemory | undefined {
  return memories.get(data.buffer);
}

/**
 * Storage for a SparseTable (its `storage` argument): zeros in a kernel memory of its own, so that the SIMD
 * kernels work it; undefined where that cannot be (no WebAssembly SIMD or shared memory here, or a table too
 * large for a 4 GiB memory), and the caller keeps its own storage.
 */
export function kernelStorage(floats: number): Float32Array | undefined {
  const bytes = HEADER + 4 * floats;
  const pages = Math.ceil(bytes / PAGE);
  if (pages + SCRATCH_PAGES > MAX_PAGES || kernelModule() === null) return undefined;
  let memory: KernelMemoryObject;
  try {
    memory = new wasmApi!.Memory({ initial: pages, maximum: MAX_PAGES, shared: true });
  } catch {
    return undefined;
  }
  Atomics.store(new Uint32Array(memory.buffer, 0, 1), 0, align64(bytes));
  registerKernelMemory(memory);
  return new Float32Array(memory.buffer, HEADER, floats);
}

/**
 * Storage for several tables in one kernel memory (the `storage` argument of each SparseTable, asked in the
 * order of `floats`): the tables one after another, 64-byte aligned, after the header, then scratch. A kernel
 * then reaches all of them and a block beside them (`kernelRegion`), so that the embeddings part gathers its
 * tables straight into one block (and reads their gradients from one) where one memory a table would need a
 * strided copy a table. Undefined where they do not fit one memory or this platform has no kernels: the caller
 * gives each table its own storage.
 */
export function kernelArena(floats: readonly number[]): ((floats: number) => Float32Array) | undefined {
  const starts: number[] = [];
  let end = HEADER;
  for (const f of floats) {
    starts.push(end);
    end = align64(end + 4 * f);
  }
  const pages = Math.ceil(end / PAGE);
  if (floats.length === 0 || pages + SCRATCH_PAGES > MAX_PAGES || kernelModule() === null) return undefined;
  let memory: KernelMemoryObject;
  try {
    memory = new wasmApi!.Memory({ initial: pages, maximum: MAX_PAGES, shared: true });
  } catch {
    return undefined;
  }
  Atomics.store(new Uint32Array(memory.buffer, 0, 1), 0, end);
  registerKernelMemory(memory);
  let next = 0;
  return (n) => {
    const f = floats[next];
    if (f !== n) throw new Error(`kernelArena: storage ${next} was planned for ${f} floats, asked for ${n}`);
    return new Float32Array(memory.buffer, starts[next++] as number, n);
  };
}

/** A view of `floats` floats at `byteOffset` of the kernel memory `data` lives in (a region `kernelRegion` took, seen from any thread). */
export function kernelView(data: Float32Array, byteOffset: number, floats: number): Float32Array {
  const k = memories.get(data.buffer);
  if (k === undefined) throw new Error('kernelView: the table is not in a kernel memory');
  return k.f32(byteOffset, floats);
}

/**
 * A region of `floats` floats (zeros, 64-byte aligned) in the kernel memory `data` lives in, taken for good: a
 * block the kernels read and write in place (`simdGatherOne`, `simdScatterOne`). Undefined where `data` is not
 * in a kernel memory, or the memory is full.
 */
export function kernelRegion(data: Float32Array, floats: number): Float32Array | undefined {
  const k = memories.get(data.buffer);
  const at = k?.take(4 * floats) ?? -1;
  return at < 0 ? undefined : k!.f32(at, floats);
}

/**
 * Makes the kernels work the tables in `memory` on this thread: `buffer` is the SharedArrayBuffer the tables'
 * views are over (in a worker that received a table and its memory, the one it received).
 */
export function registerKernelMemory(memory: KernelMemoryObject, buffer: ArrayBufferLike = memory.buffer): void {
  if (!memories.has(buffer)) memories.set(buffer, new KernelMemory(memory));
}

/** The kernel memory `data` lives in, where it is one (WebAssembly.Memory of a table from `kernelStorage`). */
export function kernelMemoryOf(data: ArrayBufferView): KernelMemoryObject | undefined {
  return memories.get(data.buffer)?.memory;
}

/**
 * The one-id gather (`gatherPooled`'s copy path) into `out[b * width + col ..]` for b in [0, n), the ids
 * `ids[lo .. lo + n)`: -1 when done, the first b whose id is outside [0, numRows) (rows before it written), or
 * undefined when `data` is not in a kernel memory (nothing done: the caller runs its loop). An `out` in the
 * same memory (`kernelRegion`) is written in place; any other is written from a block in scratch.
 */
export function simdGatherOne(data: Float32Array, stride: number, dim: number, numRows: number, ids: Int32Array, lo: number, n: number, out: Float32Array, width: number, col: number): number | undefined {
  const k = memories.get(data.buffer);
  if (k === undefined) return undefined;
  const inPlace = memories.get(out.buffer) === k;
  const at = k.scratch(4 * n * (inPlace ? 1 : 1 + dim));
  if (at < 0) return undefined;
  k.put(at, ids.subarray(lo, lo + n));
  if (inPlace) return k.exports.gatherOne(data.byteOffset, stride, dim, numRows, at, n, out.byteOffset, width, col);
  const block = at + 4 * n;
  const bad = k.exports.gatherOne(data.byteOffset, stride, dim, numRows, at, n, block, dim, 0);
  const rows = bad < 0 ? n : bad;
  if (dim === 1) {
    // A dim-1 table (gatherScalars): the values as the kernel wrote them (plus 0, as bagOfScalars' sum from 0).
    const f = k.f32(block, n);
    for (let b = 0, o = col; b < rows; b++, o += width) out[o] = f[b] as number;
    return bad;
  }
  copyRows(k.i32(block, n * dim), 0, dim, new Int32Array(out.buffer, out.byteOffset, out.length), col, width, rows, dim);
  return bad;
}

/**
 * Copies `rows` rows of `dim` values from `src` (row b at srcAt + b * srcStride) to `dst` (dstAt + b * dstStride):
 * the gathered rows into a block, a block's columns into a kernel memory. Moved as int32 bit patterns (no float
 * conversion), four at a time: 0.7 against 1.2 ms for 26 features of 2048 x 16 in a plain loop (0.5 with sixteen).
 */
function copyRows(src: Int32Array, srcAt: number, srcStride: number, dst: Int32Array, dstAt: number, dstStride: number, rows: number, dim: number): void {
  const dim4 = dim & ~3;
  for (let b = 0, s = srcAt, o = dstAt; b < rows; b++, s += srcStride, o += dstStride) {
    let j = 0;
    for (; j < dim4; j += 4) {
      dst[o + j] = src[s + j] as number;
      dst[o + j + 1] = src[s + j + 1] as number;
      dst[o + j + 2] = src[s + j + 2] as number;
      dst[o + j + 3] = src[s + j + 3] as number;
    }
    for (; j < dim; j++) dst[o + j] = src[s + j] as number;
  }
}

/** Where a row update by a kernel finds its operands: the module and the byte offsets of the table, rows and gradients. */
export interface RowUpdateCall {
  readonly exports: KernelExports;
  readonly data: number;
  readonly rows: number;
  readonly grads: number;
}

/**
 * Stages a row update for a kernel: the `rows` and `grads` ([count, dim]) copied into scratch, unless they
 * are in the table's memory already (a RowGradients' `scatterOne` result). Undefined when `data` is not in a
 * kernel memory (nothing done), or when they would be copied and `copy` is false (dim-1 rows, where the copy
 * costs what the kernel saves). The caller makes the call itself: through a callback V8 kept the optimizer's
 * loop variables in a context, and the JavaScript loop ran slower for it (AdaGrad 4.2 -> 5.5 ns an element).
 */
export function stageRowUpdate(data: Float32Array, dim: number, rows: Int32Array, count: number, grads: Float32Array, copy = true): RowUpdateCall | undefined {
  const k = memories.get(data.buffer);
  if (k === undefined) return undefined;
  if (memories.get(rows.buffer) === k && memories.get(grads.buffer) === k) return { exports: k.exports, data: data.byteOffset, rows: rows.byteOffset, grads: grads.byteOffset };
  if (!copy) return undefined;
  const at = k.scratch(4 * count * (1 + dim));
  if (at < 0) return undefined;
  k.i32(at, count).set(rows.subarray(0, count));
  const g = at + 4 * count;
  k.f32(g, count * dim).set(grads.subarray(0, count * dim));
  return { exports: k.exports, data: data.byteOffset, rows: at, grads: g };
}

/** The unique rows of a step and their summed gradients, held in the table's kernel memory (`simdScatterOne`). */
export interface ResidentGradients {
  readonly rows: Int32Array;
  /** [count, dim], row i's sum for rows[i]. */
  readonly grads: Float32Array;
  readonly count: number;
}

/** Buckets of scatterOne's map for n ids: a power of two, at least 16 and 2n (load factor <= 1/2). */
function mapCapacity(n: number): number {
  let cap = 16;
  while (cap < 2 * n) cap *= 2;
  return cap;
}

/** A RowGradients' own region of its table's kernel memory for `simdScatterOne` (taken again, larger, as batches grow). */
export class ScatterSpace {
  private at = -1;
  private n = 0;
  private dim = 0;
  private extra = 0;
  private k: KernelMemory | undefined;

  /**
   * The region's offsets for n ids of dim floats, and `extra` bytes more, in `k`; undefined when the memory is
   * full. The map's buckets are `keys` then `slots`, 8 * cap bytes together.
   */
  layout(k: KernelMemory, n: number, dim: number, extra = 0): { keys: number; slots: number; cap: number; rows: number; grads: number; col: number; ids: number; extra: number } | undefined {
    const cap = mapCapacity(n);
    if (this.k !== k || n > this.n || dim !== this.dim || extra > this.extra) {
      const want = Math.max(n, 2 * this.n);
      const wantExtra = Math.max(extra, 2 * this.extra);
      const at = k.take(8 * mapCapacity(want) + 8 * want + 8 * want * dim + wantExtra);
      if (at < 0) return undefined;
      this.at = at;
      this.n = want;
      this.dim = dim;
      this.extra = wantExtra;
      this.k = k;
    }
    const keys = this.at;
    const slots = keys + 4 * cap;
    const rows = slots + 4 * cap;
    const grads = rows + 4 * n;
    const col = grads + 4 * n * dim;
    const ids = col + 4 * n * dim;
    return { keys, slots, cap, rows, grads, col, ids, extra: ids + 4 * n };
  }
}

/**
 * `RowGradients.addPooled` of one feature of one-id bags into an empty map, by the kernel: the ids and the
 * feature's columns of `dBlock` ([n, width] at `col`) copied into `space`, summed per unique row there. The
 * result's rows and sums are views of the table's memory, which `stageRowUpdate` then hands to the update in place; a number
 * is the first b whose id is outside [0, numRows) (nothing kept); undefined when the table is not in a kernel
 * memory (nothing done).
 */
export function simdScatterOne(space: ScatterSpace, data: Float32Array, numRows: number, dim: number, ids: Int32Array, lo: number, n: number, dBlock: Float32Array, width: number, col: number): ResidentGradients | number | undefined {
  const k = memories.get(data.buffer);
  if (k === undefined) return undefined;
  const at = space.layout(k, n, dim);
  if (at === undefined) return undefined;
  k.put(at.ids, ids.subarray(lo, lo + n));
  // A block in the same memory (`kernelRegion`) is read in place; any other has the feature's columns copied in.
  const inPlace = memories.get(dBlock.buffer) === k;
  if (!inPlace) copyRows(new Int32Array(dBlock.buffer, dBlock.byteOffset, dBlock.length), col, width, k.i32(at.col, n * dim), 0, dim, n, dim);
  const src = inPlace ? dBlock.byteOffset + 4 * col : at.col;
  const count = k.exports.scatterOne(at.ids, n, numRows, src, dim, inPlace ? width : dim, at.keys, at.slots, at.cap, at.rows, at.grads);
  if (count < 0) return -count - 1;
  return { rows: k.i32(at.rows, count), grads: k.f32(at.grads, count * dim), count };
}
