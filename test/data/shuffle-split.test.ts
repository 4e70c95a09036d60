import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { chunkFromColumns, collect, concatChunks, rowObject } from '../../src/data/chunk.js';
import { permuteChunk, rechunk, shuffleBuffer } from '../../src/data/shuffle.js';
import { fractionCount, perUserSplit, randomSplit, readTrainTestFiles, splitStream, timeSplit } from '../../src/data/splits.js';
import { syntheticChunks } from '../../src/data/synthetic.js';
import type { RowChunk } from '../../src/data/types.js';
import { catchError, cells, tempDir } from './helpers.js';

const tmp = tempDir();

function idChunk(n: number, offset = 0): RowChunk {
  return chunkFromColumns(
    {
      id: Float64Array.from({ length: n }, (_, i) => i + offset),
      name: Array.from({ length: n }, (_, i) => `r${i + offset}`),
      tags: Array.from({ length: n }, (_, i) => (i % 3 === 0 ? null : [`t${i % 4}`])),
    },
    { source: 'ids', rowNumbers: Int32Array.from({ length: n }, (_, i) => i + offset + 1) },
  );
}

function* chunksOf(n: number, size: number): Generator<RowChunk> {
  for (let s = 0; s < n; s += size) yield idChunk(Math.min(size, n - s), s);
}

const ids = (c: RowChunk): number[] => [...(c.columns.get('id') as Float64Array)];

describe('shuffling', () => {
  it('permuteChunk is a seeded permutation that keeps rows whole', () => {
    const data = idChunk(500);
    const a = permuteChunk(data, 3);
    const b = permuteChunk(data, 3);
    const c = permuteChunk(data, 4);
    expect(ids(a)).toEqual(ids(b));
    expect(ids(a)).not.toEqual(ids(c));
    expect([...ids(a)].sort((x, y) => x - y)).toEqual(ids(data));
    for (let i = 0; i < a.numRows; i++) {
      const id = ids(a)[i] as number;
      expect(cells(a, 'name')[i]).toBe(`r${id}`);
      expect(a.rowNumbers[i]).toBe(id + 1);
    }
  });

  it('shuffleBuffer: same seed same order, a permutation of the input, independent of input chunking', async () => {
    const run = async (seed: number, inSize: number): Promise<number[]> =>
      ids(await collect(shuffleBuffer(chunksOf(5000, inSize), { bufferSize: 700, seed, chunkSize: 256 })));
    const a = await run(11, 1000);
    expect(await run(11, 1000)).toEqual(a);
    expect(await run(11, 37)).toEqual(a);
    expect(await run(12, 1000)).not.toEqual(a);
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 5000 }, (_, i) => i));
    // Mixing: a row moves far from its input position on average.
    const displacement = a.reduce((s, id, pos) => s + Math.abs(id - pos), 0) / a.length;
    expect(displacement).toBeGreaterThan(200);
  });

  it('shuffleBuffer output chunks have the chosen size and rows stay whole', async () => {
    const sizes: number[] = [];
    for await (const c of shuffleBuffer(chunksOf(1000, 100), { bufferSize: 50, seed: 1, chunkSize: 300 })) {
      sizes.push(c.numRows);
      for (let i = 0; i < c.numRows; i++) {
        const r = rowObject(c, i);
        expect(r['name']).toBe(`r${String(r['id'])}`);
        expect(c.rowNumbers[i]).toBe((r['id'] as number) + 1);
      }
    }
    expect(sizes).toEqual([300, 300, 300, 100]);
  });

  it('rechunk re-cuts any stream into exact sizes', async () => {
    const sizes: number[] = [];
    for await (const c of rechunk(chunksOf(1000, 77), 128)) sizes.push(c.numRows);
    expect(sizes).toEqual([...Array<number>(7).fill(128), 104]);
  });
});

describe('splits', () => {
  it('randomSplit: disjoint, complete, exact size, deterministic by seed', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 300 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.integer(), (n, f, seed) => {
        const data = idChunk(n);
        const { train, test } = randomSplit(data, { testFraction: f, seed });
        expect(test.numRows).toBe(fractionCount(n, f));
        const all = [...ids(train), ...ids(test)].sort((x, y) => x - y);
        expect(all).toEqual(ids(data));
        expect(ids(randomSplit(data, { testFraction: f, seed }).test)).toEqual(ids(test));
      }),
      { numRuns: 60 },
    );
  });

  it('splitStream decides per source row, whatever the chunking', async () => {
    const opts = { testFraction: 0.25, seed: 9 } as const;
    const test = ids(await collect(splitStream(chunksOf(4000, 300), { ...opts, part: 'test' })));
    const train = ids(await collect(splitStream(chunksOf(4000, 999), { ...opts, part: 'train' })));
    expect(ids(await collect(splitStream(chunksOf(4000, 17), { ...opts, part: 'test' })))).toEqual(test);
    expect(new Set([...test, ...train]).size).toBe(4000);
    expect(test.length + train.length).toBe(4000);
    expect(test.length / 4000).toBeGreaterThan(0.22);
    expect(test.length / 4000).toBeLessThan(0.28);
  });

  it('timeSplit: the last fraction by time is test, or everything from a cut-off time', () => {
    const n = 100;
    const data = chunkFromColumns({ t: Float64Array.from({ length: n }, (_, i) => (i * 37) % n), id: Float64Array.from({ length: n }, (_, i) => i) });
    const { train, test } = timeSplit(data, { timeColumn: 't', testFraction: 0.2 });
    expect(test.numRows).toBe(20);
    expect(Math.min(...(test.columns.get('t') as Float64Array))).toBe(80);
    expect(Math.max(...(train.columns.get('t') as Float64Array))).toBe(79);
    const cut = timeSplit(data, { timeColumn: 't', testFrom: 90 });
    expect(cut.test.numRows).toBe(10);
  });

  it('perUserSplit: last k or floor(n_u * f) per user by (time, item), ties broken by item id', () => {
    // user a: 5 interactions with a timestamp tie at t=3 between items "10" and "9" (9 < 10 numerically).
    const data = chunkFromColumns({
      user: ['a', 'a', 'a', 'a', 'a', 'b', 'b', 'c'],
      item: ['1', '10', '9', '2', '3', '1', '2', '1'],
      t: Float64Array.from([1, 3, 3, 2, 0, 5, 6, 1]),
    });
    const last1 = perUserSplit(data, { userColumn: 'user', timeColumn: 't', itemColumn: 'item', last: 1 });
    expect(cells(last1.test, 'item')).toEqual(['10', '2', '1']);
    expect(last1.train.numRows).toBe(5);
    const frac = perUserSplit(data, { userColumn: 'user', timeColumn: 't', itemColumn: 'item', fraction: 0.4 });
    // a: floor(5 * 0.4) = 2 -> items 9 and 10 (t = 3); b: floor(0.8) = 0; c: 0.
    expect(cells(frac.test, 'item')).toEqual(['10', '9']);
    const again = perUserSplit(data, { userColumn: 'user', timeColumn: 't', itemColumn: 'item', fraction: 0.4 });
    expect([...again.test.rowNumbers]).toEqual([...frac.test.rowNumbers]);
  });

  it('perUserSplit on a bigger log: sizes are the sum of per-user floors, test is each user\'s latest', () => {
    const data = concatChunks([...syntheticChunks({ seed: 3, numUsers: 200, numApps: 300 }, { rows: 5000 })]);
    const { train, test } = perUserSplit(data, { userColumn: 'user_id', timeColumn: 'timestamp', itemColumn: 'app_id', fraction: 0.2 });
    const counts = new Map<string, number>();
    for (const u of cells(data, 'user_id') as string[]) counts.set(u, (counts.get(u) ?? 0) + 1);
    const expected = [...counts.values()].reduce((s, c) => s + Math.floor(c / 5), 0);
    expect(test.numRows).toBe(expected);
    expect(train.numRows + test.numRows).toBe(5000);
    const lastTrain = new Map<string, number>();
    const tr = train.columns.get('timestamp') as Float64Array;
    (cells(train, 'user_id') as string[]).forEach((u, i) => lastTrain.set(u, Math.max(lastTrain.get(u) ?? -Infinity, tr[i] as number)));
    const te = test.columns.get('timestamp') as Float64Array;
    (cells(test, 'user_id') as string[]).forEach((u, i) => expect(te[i]).toBeGreaterThanOrEqual(lastTrain.get(u) ?? -Infinity));
  });

  it('bad split options are config errors', async () => {
    const data = idChunk(10);
    expect((await catchError(() => randomSplit(data, { testFraction: 1.5, seed: 1 }))).code).toBe('CONFIG');
    const e = await catchError(() => timeSplit(data, { timeColumn: 'time', testFraction: 0.1 }));
    expect(e.message).toContain('id, name, tags');
    expect((await catchError(() => perUserSplit(data, { userColumn: 'name', timeColumn: 'id', itemColumn: 'id' }))).message).toContain('exactly one of last and fraction');
  });

  it('"use this file as test": the test file is read with the train schema', async () => {
    const train = tmp.write('train.csv', 'zip,score\n01234,1\n55555,2\n');
    const test = tmp.write('test.csv', 'zip,score\n11111,3\n');
    const r = await readTrainTestFiles({ train: { path: train, columns: { zip: 'categorical' } }, test: { path: test } });
    expect(cells(r.test, 'zip')).toEqual(['11111']);
    expect(r.schema.map((c) => c.kind)).toEqual(['categorical', 'numeric']);
    expect(r.train.numRows + r.test.numRows).toBe(3);
    const other = tmp.write('other.csv', 'zip,points\n1,2\n');
    expect((await catchError(() => readTrainTestFiles({ train: { path: train }, test: { path: other } }))).code).toBe('CONFIG');
  });
});
