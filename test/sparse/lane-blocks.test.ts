import { describe, expect, it } from 'vitest';
import { Rng, type SparseBatch } from '../../src/core/index.js';
import { EMB_SOURCE, gatherPooled, RowGradients, SparseLanes, SparseTable, sharedStorage, tableArena } from '../../src/sparse/index.js';
import { kernelMemoryOf } from '../../src/sparse/simd/kernels.js';

const DIMS = [8, 3, 1, 16];
const ROWS = 200;
const N = 50;
const OPTIMIZER = { type: 'lazy-adam', lr: 0.01 } as const;
const WIDTH = DIMS.reduce((a, d) => a + d, 0);
const COLS = DIMS.map((_, i) => DIMS.slice(0, i).reduce((a, d) => a + d, 0));

function tables(storage?: (floats: number) => Float32Array): SparseTable[] {
  return DIMS.map((dim, i) => new SparseTable({ name: `emb.${i}`, numRows: ROWS, dim, optimizer: OPTIMIZER }, new Rng(i), storage));
}

/** One-id bags (the kernels' case), ids repeating within the batch. */
function batchOf(rng: Rng): SparseBatch {
  return {
    keys: DIMS.map((_, i) => `f${i}`),
    batchSize: N,
    ids: Int32Array.from({ length: N * DIMS.length }, () => rng.int(ROWS / 4)),
    offsets: Int32Array.from({ length: N * DIMS.length + 1 }, (_, i) => i),
  };
}

function bits(a: Float32Array): number[] {
  return Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
}

/** Three steps through the lanes (2 workers and this thread): the gathered blocks and the tables after. */
async function throughLanes(ts: SparseTable[]): Promise<{ blocks: Float32Array[]; inTables: boolean }> {
  const lanes = await SparseLanes.start(2);
  try {
    lanes.attach(EMB_SOURCE, ts.map((table, i) => ({ table, pooling: 'sum' as const, col: COLS[i] as number })), WIDTH);
    const rng = new Rng(7);
    const blocks: Float32Array[] = [];
    let inTables = true;
    for (let step = 1; step <= 3; step++) {
      const batch = batchOf(rng);
      const features = DIMS.map((_, i) => i);
      lanes.stageGather(EMB_SOURCE, batch, features);
      lanes.startGather();
      const block = lanes.gathered(EMB_SOURCE);
      inTables &&= kernelMemoryOf(block) !== undefined && kernelMemoryOf(block) === kernelMemoryOf(ts[0]!.data);
      blocks.push(block.slice());
      const dBlock = Float32Array.from({ length: N * WIDTH }, () => rng.normal());
      lanes.stageUpdate(EMB_SOURCE, batch, features, DIMS.map(() => false), dBlock, step, undefined);
      lanes.startUpdate();
      lanes.updated(EMB_SOURCE);
    }
    return { blocks, inTables };
  } finally {
    await lanes.release();
  }
}

/** The same three steps on this thread with the tables in plain arrays (the JavaScript loops). */
function reference(ts: SparseTable[]): Float32Array[] {
  const rng = new Rng(7);
  const grads = ts.map((t) => new RowGradients(t));
  const blocks: Float32Array[] = [];
  for (let step = 1; step <= 3; step++) {
    const batch = batchOf(rng);
    const block = new Float32Array(N * WIDTH);
    ts.forEach((t, i) => gatherPooled(t, batch, { feature: i, pooling: 'sum', width: WIDTH, col: COLS[i] as number }, block));
    blocks.push(block);
    const dBlock = Float32Array.from({ length: N * WIDTH }, () => rng.normal());
    ts.forEach((t, i) => {
      const g = grads[i] as RowGradients;
      g.reset();
      g.addPooled(batch, { feature: i, pooling: 'sum', width: WIDTH, col: COLS[i] as number }, dBlock);
      g.apply(step);
    });
  }
  return blocks;
}

describe("the sparse lanes' blocks", () => {
  it('tables in one kernel memory (tableArena): the blocks are regions of it, worked in place by every lane, and the results are those of one thread bit for bit', async () => {
    const arena = tables(tableArena(DIMS.map((dim) => ({ numRows: ROWS, dim, optimizer: OPTIMIZER }))));
    expect(new Set(arena.map((t) => kernelMemoryOf(t.data))).size).toBe(1);
    const plain = tables((n) => new Float32Array(n));
    const { blocks, inTables } = await throughLanes(arena);
    expect(inTables).toBe(true);
    const expected = reference(plain);
    blocks.forEach((b, s) => expect(bits(b), `step ${s + 1}'s block`).toEqual(bits(expected[s]!)));
    arena.forEach((t, i) => expect(bits(t.data), t.name).toEqual(bits(plain[i]!.data)));
  }, 30_000);

  it('tables in memories of their own: the blocks are SharedArrayBuffers, with the same results', async () => {
    const own = tables(sharedStorage);
    const plain = tables((n) => new Float32Array(n));
    const { blocks, inTables } = await throughLanes(own);
    expect(inTables).toBe(false);
    const expected = reference(plain);
    blocks.forEach((b, s) => expect(bits(b)).toEqual(bits(expected[s]!)));
    own.forEach((t, i) => expect(bits(t.data), t.name).toEqual(bits(plain[i]!.data)));
  }, 30_000);

  it('tables attached again: the batch staged before is staged again into the new buffers, and gathered right', async () => {
    const ts = tables(tableArena(DIMS.map((dim) => ({ numRows: ROWS, dim, optimizer: OPTIMIZER }))));
    const plain = tables((n) => new Float32Array(n));
    const batch = batchOf(new Rng(3));
    const features = DIMS.map((_, i) => i);
    const expected = new Float32Array(N * WIDTH);
    plain.forEach((t, i) => gatherPooled(t, batch, { feature: i, pooling: 'sum', width: WIDTH, col: COLS[i] as number }, expected));
    const lanes = await SparseLanes.start(2);
    try {
      const pooled = ts.map((table, i) => ({ table, pooling: 'sum' as const, col: COLS[i] as number }));
      lanes.attach(EMB_SOURCE, pooled, WIDTH);
      lanes.stageGather(EMB_SOURCE, batch, features);
      lanes.startGather();
      expect(bits(lanes.gathered(EMB_SOURCE))).toEqual(bits(expected));
      lanes.attach(EMB_SOURCE, pooled, WIDTH);
      lanes.stageGather(EMB_SOURCE, batch, features);
      lanes.startGather();
      expect(bits(lanes.gathered(EMB_SOURCE))).toEqual(bits(expected));
    } finally {
      await lanes.release();
    }
  }, 30_000);
});
