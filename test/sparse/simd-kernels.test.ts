import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Rng, WideDeepError, type SparseBatch } from '../../src/core/index.js';
import { gatherPooled, RowGradients, type RowOptimizerConfigInput, SparseTable, tableOver } from '../../src/sparse/index.js';
import { kernelArena, kernelMemoryOf, kernelRegion, kernelStorage } from '../../src/sparse/simd/kernels.js';
import { KERNELS_WASM } from '../../src/sparse/simd/kernels-wasm.js';
import { compileKernels, moduleText, SPARSE } from '../../scripts/build-kernels.js';

/** The same table twice: in a kernel memory (the SIMD kernels work it) and in a plain Float32Array (the JavaScript loops). */
function twins(numRows: number, dim: number, optimizer: RowOptimizerConfigInput): { simd: SparseTable; js: SparseTable } {
  const config = { name: 'emb', numRows, dim, optimizer };
  const simd = new SparseTable(config, new Rng(5));
  const js = new SparseTable(config, new Rng(5), (n) => new Float32Array(n));
  expect(kernelMemoryOf(simd.data)).toBeDefined();
  expect(kernelMemoryOf(js.data)).toBeUndefined();
  return { simd, js };
}

/** Scratch end recorded in a kernel memory's header (the first int32): it moves when a kernel call takes scratch. */
function scratchEnd(t: SparseTable): number {
  return new Int32Array(t.data.buffer, 0, 1)[0] as number;
}

function bits(a: Float32Array): number[] {
  return Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
}

/** One feature of `n` one-id bags (ids drawn in [0, numRows), or as given). */
function oneIdBatch(n: number, numRows: number, rng: Rng, ids?: number[]): SparseBatch {
  return {
    keys: ['f'],
    batchSize: n,
    ids: Int32Array.from(ids ?? Array.from({ length: n }, () => rng.int(numRows))),
    offsets: Int32Array.from({ length: n + 1 }, (_, i) => i),
  };
}

describe('WebAssembly SIMD kernels of the sparse side', () => {
  it('the module in src is what wasm/sparse-kernels.ts compiles to (npm run build:kernels)', async () => {
    const bytes = await compileKernels(SPARSE);
    expect(Buffer.from(bytes).toString('base64')).toBe(KERNELS_WASM);
    expect(readFileSync(SPARSE.target, 'utf8')).toBe(moduleText(bytes, SPARSE));
  }, 60_000);

  for (const optimizer of [
    { type: 'lazy-adam', lr: 0.01 },
    { type: 'lazy-adam', lr: 0.003, beta1: 0.8, beta2: 0.95, eps: 1e-6, weightDecay: 0.01 },
    { type: 'adagrad', lr: 0.05 },
    { type: 'adagrad', lr: 0.1, initialAccumulator: 0.01, weightDecay: 0.02 },
    { type: 'ftrl', alpha: 0.1 },
    { type: 'ftrl', alpha: 0.05, beta: 0.5, l1: 0.3, l2: 0.2, initialAccumulator: 0.01 },
  ] as RowOptimizerConfigInput[]) {
    it(`${JSON.stringify(optimizer)}: the kernel leaves every bit as the JavaScript loop does, odd dims included`, () => {
      for (const dim of [2, 3, 5, 8, 16, 17]) {
        const numRows = 200;
        const { simd, js } = twins(numRows, dim, optimizer);
        const rng = new Rng(dim);
        for (let step = 1; step <= 5; step++) {
          const rows = Int32Array.from(new Set(Array.from({ length: 80 }, () => rng.int(numRows))));
          const grads = Float32Array.from({ length: rows.length * dim }, () => rng.normal() * (step === 3 ? 50 : 0.5));
          const before = scratchEnd(simd);
          const lr = step === 4 ? 0.5 : undefined;
          simd.optimizer.updateRows(simd.data, dim, rows, rows.length, grads, step, lr);
          js.optimizer.updateRows(js.data, dim, rows, rows.length, grads, step, lr);
          if (step === 1) expect(scratchEnd(simd)).toBeGreaterThan(before);
          expect(bits(simd.data)).toEqual(bits(js.data));
        }
      }
    });
  }

  it('the one-id gather copies exactly the rows the JavaScript loop copies, into the slot columns only', () => {
    for (const dim of [2, 3, 4, 5, 8, 16, 17]) {
      const { simd, js } = twins(300, dim, { type: 'adagrad', lr: 0.1 });
      const rng = new Rng(dim);
      const batch = oneIdBatch(64, 300, rng);
      const slot = { feature: 0, pooling: 'mean' as const, width: dim + 7, col: 3 };
      const a = new Float32Array(64 * slot.width).fill(-1);
      const b = new Float32Array(64 * slot.width).fill(-1);
      const before = scratchEnd(simd);
      gatherPooled(simd, batch, slot, a);
      gatherPooled(js, batch, slot, b);
      expect(scratchEnd(simd)).toBeGreaterThan(before);
      expect(bits(a)).toEqual(bits(b));
      expect(a[0]).toBe(-1); // column 0 is not the slot's
    }
  });

  it('dim-1 tables (the wide features, also as views of a wider table): the value as the running sum gives it, -0 as +0', () => {
    for (const optimizer of [{ type: 'adagrad', lr: 0.1 }, { type: 'ftrl', alpha: 0.1 }] as RowOptimizerConfigInput[]) {
      const { simd, js } = twins(400, 1, optimizer);
      for (const t of [simd, js]) t.data[7 * t.stride] = -0;
      const rng = new Rng(4);
      const ids = Array.from({ length: 40 }, (_, i) => (i % 5 === 0 ? 7 : rng.int(100)));
      const batch = oneIdBatch(40, 100, rng, ids);
      // rows [300, 400) of each table as a table of their own, as WideLinear.featureTables are
      const view = (t: SparseTable): SparseTable => tableOver({ ...t.config, numRows: 100 }, t.data.subarray(300 * t.stride, 400 * t.stride));
      for (const [a, b] of [[simd, js], [view(simd), view(js)]] as const) {
        for (const pooling of ['sum', 'mean'] as const) {
          const slot = { feature: 0, pooling, width: 3, col: 1 };
          const oa = new Float32Array(40 * 3).fill(-1);
          const ob = new Float32Array(40 * 3).fill(-1);
          gatherPooled(a, batch, slot, oa);
          gatherPooled(b, batch, slot, ob);
          expect(bits(oa)).toEqual(bits(ob));
        }
      }
      const oa = new Float32Array(40);
      gatherPooled(simd, batch, { feature: 0, pooling: 'sum', width: 1, col: 0 }, oa);
      expect(Object.is(oa[0], 0)).toBe(true); // id 7's -0
    }
  });

  it('addPooled of one-id bags: the same rows, in the same order, with the same sums, and the same update', () => {
    for (const dim of [1, 2, 3, 8, 16, 17]) {
      for (const pooling of ['sum', 'mean'] as const) {
        const { simd, js } = twins(60, dim, { type: 'lazy-adam', lr: 0.01 });
        const gs = new RowGradients(simd);
        const gj = new RowGradients(js);
        const rng = new Rng(dim);
        for (let step = 1; step <= 3; step++) {
          const n = 300 * step; // duplicates galore (60 rows), and batches that grow the kernel's region
          const batch = oneIdBatch(n, 60, rng);
          const width = dim + 3;
          const dBlock = Float32Array.from({ length: n * width }, () => rng.normal());
          for (const g of [gs, gj]) {
            g.reset();
            g.addPooled(batch, { feature: 0, pooling, width, col: 2 }, dBlock);
          }
          expect(kernelMemoryOf(gs.values)).toBeDefined(); // held in the table's memory
          expect(Array.from(gs.rows)).toEqual(Array.from(gj.rows));
          expect(bits(gs.values)).toEqual(bits(gj.values));
          gs.apply(step);
          gj.apply(step);
          expect(bits(simd.data)).toEqual(bits(js.data));
        }
      }
    }
  });

  it('a second feature (or scalar) into the same step moves the kernel sums over and goes on in batch order', () => {
    const { simd, js } = twins(40, 4, { type: 'adagrad', lr: 0.1 });
    const gs = new RowGradients(simd);
    const gj = new RowGradients(js);
    const rng = new Rng(3);
    const batch: SparseBatch = { keys: ['a', 'b'], batchSize: 50, ids: Int32Array.from({ length: 100 }, () => rng.int(40)), offsets: Int32Array.from({ length: 101 }, (_, i) => i) };
    const dBlock = Float32Array.from({ length: 50 * 8 }, () => rng.normal() * 1e3);
    for (const g of [gs, gj]) {
      g.reset();
      g.addPooled(batch, { feature: 0, pooling: 'sum', width: 8, col: 0 }, dBlock);
    }
    expect(kernelMemoryOf(gs.values)).toBeDefined();
    for (const g of [gs, gj]) {
      g.addPooled(batch, { feature: 1, pooling: 'sum', width: 8, col: 4 }, dBlock);
      g.addScalar(7, 0.125);
    }
    expect(kernelMemoryOf(gs.values)).toBeUndefined(); // moved into the RowGradients' own buffer
    expect(Array.from(gs.rows)).toEqual(Array.from(gj.rows));
    expect(bits(gs.values)).toEqual(bits(gj.values));
    gs.apply(1);
    gj.apply(1);
    expect(bits(simd.data)).toEqual(bits(js.data));
  });

  it('addPooled meets an id outside the table: the same error as the JavaScript loop', () => {
    const { simd, js } = twins(30, 8, { type: 'lazy-adam', lr: 0.01 });
    const batch = oneIdBatch(5, 30, new Rng(1), [1, 2, 30, 3, 4]);
    const dBlock = new Float32Array(40).fill(1);
    const message = (t: SparseTable): string => {
      try {
        new RowGradients(t).addPooled(batch, { feature: 0, pooling: 'sum', width: 8, col: 0 }, dBlock);
      } catch (e) {
        return (e as Error).message;
      }
      return 'no error';
    };
    expect(message(simd)).toBe(message(js));
    expect(message(simd)).toContain('id 30');
  });

  it('an id outside the table: the same error as the JavaScript loop, with the rows before it written', () => {
    const { simd, js } = twins(50, 8, { type: 'lazy-adam', lr: 0.01 });
    const batch = oneIdBatch(6, 50, new Rng(1), [3, 7, 49, 50, 1, 2]);
    const slot = { feature: 0, pooling: 'sum' as const, width: 8, col: 0 };
    const a = new Float32Array(48);
    const b = new Float32Array(48);
    const err = (t: SparseTable, out: Float32Array): WideDeepError => {
      try {
        gatherPooled(t, batch, slot, out);
      } catch (e) {
        return e as WideDeepError;
      }
      throw new Error('no error');
    };
    const ea = err(simd, a);
    const eb = err(js, b);
    expect(ea).toBeInstanceOf(WideDeepError);
    expect(ea.message).toBe(eb.message);
    expect(ea.message).toContain('id 50');
    expect(bits(a)).toEqual(bits(b));
    expect(Array.from(a.subarray(24))).toEqual(new Array(24).fill(0));
  });

  it('scratch grows with the batch, in the same memory, and results stay exact', () => {
    const { simd, js } = twins(5000, 16, { type: 'lazy-adam', lr: 0.01 });
    const rng = new Rng(9);
    const pages = simd.data.buffer.byteLength;
    for (const n of [16, 20_000]) {
      const batch = oneIdBatch(n, 5000, rng);
      const slot = { feature: 0, pooling: 'sum' as const, width: 16, col: 0 };
      const a = new Float32Array(n * 16);
      const b = new Float32Array(n * 16);
      gatherPooled(simd, batch, slot, a);
      gatherPooled(js, batch, slot, b);
      expect(bits(a)).toEqual(bits(b));
    }
    expect(kernelMemoryOf(simd.data)!.buffer.byteLength).toBeGreaterThan(pages);
  });

  it('tables in one kernel memory (kernelArena): gathered into and scattered from a block beside them in place, the same bits as through copies', () => {
    const dims = [2, 3, 8, 17];
    const width = dims.reduce((a, d) => a + d, 0) + 1;
    const config = (dim: number, i: number) => ({ name: `emb.${i}`, numRows: 90, dim, optimizer: { type: 'lazy-adam', lr: 0.01 } as const });
    const floats = dims.map((d) => 90 * 3 * d);
    const storage = kernelArena(floats)!;
    const arena = dims.map((d, i) => new SparseTable(config(d, i), new Rng(i), storage));
    const own = dims.map((d, i) => new SparseTable(config(d, i), new Rng(i)));
    const memory = kernelMemoryOf(arena[0]!.data);
    expect(arena.every((t) => kernelMemoryOf(t.data) === memory)).toBe(true);
    expect(kernelMemoryOf(own[1]!.data)).not.toBe(memory);
    const rng = new Rng(11);
    const n = 70;
    const batch: SparseBatch = { keys: dims.map((_, i) => `f${i}`), batchSize: n, ids: Int32Array.from({ length: n * dims.length }, () => rng.int(90)), offsets: Int32Array.from({ length: n * dims.length + 1 }, (_, i) => i) };
    const block = kernelRegion(arena[0]!.data, n * width)!;
    expect(kernelMemoryOf(block)).toBe(memory);
    const plain = new Float32Array(n * width);
    const slots = dims.map((_, f) => ({ feature: f, pooling: 'sum' as const, width, col: 1 + dims.slice(0, f).reduce((a, d) => a + d, 0) }));
    const before = scratchEnd(arena[0]!);
    slots.forEach((slot, f) => gatherPooled(arena[f]!, batch, slot, block));
    slots.forEach((slot, f) => gatherPooled(own[f]!, batch, slot, plain));
    expect(scratchEnd(arena[0]!) - before).toBeLessThanOrEqual(64 * 1024); // the ids' scratch, no block in scratch
    expect(bits(block)).toEqual(bits(plain));
    const dBlock = Float32Array.from({ length: n * width }, () => rng.normal());
    block.set(dBlock);
    for (let f = 0; f < dims.length; f++) {
      const ga = new RowGradients(arena[f]!);
      const go = new RowGradients(own[f]!);
      ga.addPooled(batch, slots[f]!, block);
      go.addPooled(batch, slots[f]!, dBlock);
      expect(Array.from(ga.rows)).toEqual(Array.from(go.rows));
      expect(bits(ga.values)).toEqual(bits(go.values));
      ga.apply(1);
      go.apply(1);
      expect(bits(arena[f]!.data)).toEqual(bits(own[f]!.data));
    }
    expect(() => storage(5)).toThrow(/planned/);
  });

  it('a table of 2 to 4 GiB keeps its kernels: scratch and regions are taken after it (the end it records holds past 2^31)', () => {
    // Pages are committed only where written: the 2.4 GB stay virtual.
    const big = kernelStorage(600_000_000)!;
    const region = kernelRegion(big, 16);
    expect(region).toBeDefined();
    expect(region!.byteOffset).toBeGreaterThanOrEqual(big.byteOffset + 4 * big.length);
    const [a, b] = [300_000_000, 300_000_000].map(kernelArena([300_000_000, 300_000_000])!);
    expect(b!.byteOffset).toBeGreaterThanOrEqual(a!.byteOffset + 4 * a!.length);
    expect(kernelRegion(b!, 16)!.byteOffset).toBeGreaterThanOrEqual(b!.byteOffset + 4 * b!.length);
  });

  it('a table beyond a 4 GiB memory is left to the JavaScript loops (no memory is allocated)', () => {
    expect(kernelArena([2 ** 29, 2 ** 29])).toBeUndefined();
    expect(kernelStorage(2 ** 30)).toBeUndefined();
    expect(kernelStorage(1000)).toBeInstanceOf(Float32Array);
  });
});
