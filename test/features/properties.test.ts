import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  fit,
  hashBucket,
  murmur3Bytes,
  murmur3String,
  murmur3Words,
  parseFittedSpec,
  rowsToChunk,
  serializeFittedSpec,
  transform,
  type FeatureBatch,
  type FeatureConfig,
} from '../../src/features/index.js';
import { streamOf } from './fixtures.js';

// Published MurmurHash3 x86_32 vectors (UTF-8 input; the same lists appear in SMHasher-derived test suites).
const VECTORS: [string, number, number][] = [
  ['', 0, 0x00000000],
  ['', 1, 0x514e28b7],
  ['', 0xffffffff, 0x81f16f39],
  ['test', 0, 0xba6bd213],
  ['test', 0x9747b28c, 0x704b81dc],
  ['Hello, world!', 0, 0xc0363e43],
  ['Hello, world!', 0x9747b28c, 0x24884cba],
  ['hello', 0, 0x248bfa47],
  ['The quick brown fox jumps over the lazy dog', 0, 0x2e4ff723],
  ['The quick brown fox jumps over the lazy dog', 0x9747b28c, 0x2fa826cd],
  ['Rýchla hnedá líška preskočila lenivého psa', 0, 0x678b9be9],
  ['Быстрая коричневая лиса перепрыгивает через ленивую собаку', 0x9747b28c, 0x4152021b],
  ['敏捷的棕色狐狸跳过了懒狗', 0, 0x6687dfe4],
  ['special characters açb↓c', 0, 0xbe83b140],
];

const anyString = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 40 });

describe('hash', () => {
  it('matches the published MurmurHash3 x86_32 test vectors', () => {
    for (const [s, seed, want] of VECTORS) {
      expect(murmur3String(s, seed)).toBe(want);
      expect(murmur3Bytes(new TextEncoder().encode(s), seed)).toBe(want);
    }
  });

  it('feature ids are pinned (a change here would silently break every saved model)', async () => {
    const values = ['Private', 'Self-emp-not-inc', 'United-States', '42', 'åre'];
    expect(values.map((s) => murmur3String(s))).toEqual([0x1c952547, 0xb4580c2c, 0x76c40d3a, 0xbc58a436, 0xdde2c017]);
    expect(values.map((s) => hashBucket(murmur3String(s), 1000))).toEqual([456, 165, 931, 815, 48]);
    const spec = await fit(
      { columns: [{ type: 'categorical', name: 'e', hashBuckets: 10 }, { type: 'categorical', name: 'o', hashBuckets: 10 }, { type: 'crossed', name: 'eo', components: ['e', 'o'], hashBuckets: 1000 }] },
      [rowsToChunk([{ e: 'a', o: 'b' }])],
    );
    // hashBucket(murmur3Words([murmur3String('Bachelors'), murmur3String('Exec-managerial')]), 1000) = 869
    expect([...transform(spec, rowsToChunk([{ e: 'Bachelors', o: 'Exec-managerial' }])).wide.ids]).toEqual([3, 9, 869]);
  });

  it('hashes any string (lone surrogates included) exactly as its UTF-8 bytes', () => {
    fc.assert(fc.property(anyString, fc.integer({ min: 0, max: 0xffffffff }), (s, seed) => {
      expect(murmur3String(s, seed)).toBe(murmur3Bytes(new TextEncoder().encode(s), seed));
    }));
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 20 }), (s) => murmur3String(s) === murmur3Bytes(new TextEncoder().encode(s))));
  });

  it('hashes 32-bit words exactly as their little-endian bytes', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 8 }), (ws) => {
      const words = Uint32Array.from(ws);
      const bytes = new Uint8Array(words.buffer.slice(0));
      return murmur3Words(words, words.length) === murmur3Bytes(bytes);
    }));
  });

  it('bucket ids are 1 + (h mod numBuckets), exactly, for every uint32 hash', () => {
    const edges = [0, 1, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 2, 2 ** 32 - 1];
    const check = (h: number, n: number): boolean => hashBucket(h, n) === 1 + Number(BigInt(h >>> 0) % BigInt(n));
    for (const h of edges) for (const n of [1, 2, 3, 7, 1000, 100_000, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1]) expect(check(h, n)).toBe(true);
    // h a multiple of n and one less (where a rounded quotient would land on the wrong side of an integer).
    fc.assert(fc.property(fc.integer({ min: 1, max: 2 ** 32 - 1 }), fc.nat(), (n, k) => {
      const m = (k % Math.floor((2 ** 32 - 1) / n)) * n;
      return check(m, n) && (m === 0 || check(m - 1, n));
    }));
    fc.assert(fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 32 - 1 }), fc.integer({ min: 1, max: 2 ** 32 - 1 }), check));
  });

  it('bucket ids lie in [1, numBuckets]', () => {
    fc.assert(fc.property(anyString, fc.integer({ min: 1, max: 2 ** 31 }), (s, n) => {
      const id = hashBucket(murmur3String(s), n);
      return Number.isInteger(id) && id >= 1 && id <= n;
    }));
  });
});

const one = (b: FeatureBatch, key: string): number[] => {
  const f = b.wide.keys.indexOf(key);
  return Array.from({ length: b.batchSize }, (_, i) => b.wide.ids[b.wide.offsets[f * b.batchSize + i]!]!);
};

describe('bucketize', () => {
  it('is monotone in the value and ids lie in [1, boundaries + 1]', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 12, comparator: 'SameValueZero' }),
        fc.array(fc.double({ min: -2e6, max: 2e6, noNaN: true }), { minLength: 1, maxLength: 30 }),
        async (bounds, xs) => {
          const boundaries = [...bounds].sort((a, b) => a - b);
          const spec = await fit({ columns: [{ type: 'bucketized', name: 'b', source: 'x', boundaries }] }, [rowsToChunk([{ x: 0 }])]);
          const sorted = [...xs].sort((a, b) => a - b);
          const ids = one(transform(spec, rowsToChunk(sorted.map((x) => ({ x })))), 'b');
          ids.forEach((id, i) => {
            expect(id).toBeGreaterThanOrEqual(1);
            expect(id).toBeLessThanOrEqual(boundaries.length + 1);
            if (i > 0) expect(id).toBeGreaterThanOrEqual(ids[i - 1]!);
            expect(id - 1).toBe(boundaries.filter((q) => q <= sorted[i]!).length);
          });
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('crossed columns', () => {
  const crossConfig = (commutative: boolean, encoding: object): FeatureConfig => ({
    columns: [
      { type: 'categorical', name: 'a', hashBuckets: 10 },
      { type: 'categorical', name: 'b', hashBuckets: 10 },
      { type: 'categorical', name: 'c', hashBuckets: 10 },
      { type: 'crossed', name: 'ab', components: ['a', 'b'], commutative, ...encoding },
      { type: 'crossed', name: 'abc', components: ['a', 'b', 'c'], commutative, ...encoding },
    ],
  });
  const token = fc.string({ minLength: 1, maxLength: 6 });

  it('hashed: (a, b) and (b, a) differ unless commutative', async () => {
    const ordered = await fit(crossConfig(false, { hashBuckets: 2 ** 31 }), [rowsToChunk([{ a: 'x', b: 'y', c: 'z' }])]);
    const commutative = await fit(crossConfig(true, { hashBuckets: 2 ** 31 }), [rowsToChunk([{ a: 'x', b: 'y', c: 'z' }])]);
    fc.assert(fc.property(token, token, token, (x, y, z) => {
      fc.pre(x !== y);
      const rows = rowsToChunk([{ a: x, b: y, c: z }, { a: y, b: x, c: z }, { a: z, b: y, c: x }]);
      const o = transform(ordered, rows);
      const c = transform(commutative, rows);
      expect(one(o, 'ab')[0]).not.toBe(one(o, 'ab')[1]);
      expect(one(c, 'ab')[0]).toBe(one(c, 'ab')[1]);
      expect(one(c, 'abc')).toEqual(Array(3).fill(one(c, 'abc')[0]));
      if (x !== z) expect(one(o, 'abc')[0]).not.toBe(one(o, 'abc')[2]);
    }));
  });

  it('vocabulary: tuples are counted in declared order unless commutative', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(token, token), { minLength: 1, maxLength: 20 }), async (pairs) => {
        const rows = pairs.map(([a, b]) => ({ a, b, c: 'k' }));
        const ordered = await fit(crossConfig(false, { vocabulary: {} }), [rowsToChunk(rows)]);
        const commutative = await fit(crossConfig(true, { vocabulary: {} }), [rowsToChunk(rows)]);
        const swapped = rowsToChunk(pairs.map(([a, b]) => ({ a: b, b: a, c: 'k' })));
        const straight = rowsToChunk(rows);
        expect(one(transform(commutative, swapped), 'ab')).toEqual(one(transform(commutative, straight), 'ab'));
        const o = one(transform(ordered, straight), 'ab');
        expect(o.every((id) => id > 0)).toBe(true);
        const seen = new Set(pairs.map(([a, b]) => `${a}\u0000${b}`));
        const os = one(transform(ordered, swapped), 'ab');
        pairs.forEach(([a, b], i) => expect(os[i]! > 0).toBe(seen.has(`${b}\u0000${a}`)));
      }),
      { numRuns: 40 },
    );
  });
});

// Random rows for a config that uses every column type.
const MIXED: FeatureConfig = {
  columns: [
    { type: 'categorical', name: 'city', vocabulary: { minCount: 2 } },
    { type: 'categorical', name: 'dev', hashBuckets: 7, feeds: ['wide'] },
    { type: 'categorical', name: 'uid', identity: { numBuckets: 5 }, feeds: ['deep'], embeddingDim: 4 },
    { type: 'bucketized', name: 'xb', source: 'x', quantiles: 4 },
    { type: 'bucketized', name: 'xe', source: 'x', boundaries: [-1, 0, 1], feeds: [] },
    { type: 'crossed', name: 'city_dev', components: ['city', 'dev'], hashBuckets: 100 },
    { type: 'crossed', name: 'dev_xe', components: ['dev', 'xe'], vocabulary: { minCount: 1 }, commutative: true },
    { type: 'numeric', name: 'x', normalize: 'standardize', missing: { strategy: 'median', indicator: true } },
    { type: 'numeric', name: 'xq', source: 'x', normalize: 'quantile', numQuantiles: 5, missing: { strategy: 'mean' } },
    { type: 'numeric', name: 'xl', source: 'x', clip: { min: 0, max: 3 }, log1p: true, missing: { strategy: 'zero' } },
    { type: 'multi-valued', name: 'tags', pooling: 'sum', feeds: ['wide', 'deep'] },
    { type: 'sequence', name: 'hist', source: 'tags', length: 2, hashBuckets: 11 },
    { type: 'crossed', name: 'tags_x_city', components: ['tags', 'city'], hashBuckets: 50, feeds: ['wide', 'deep'], maxCrossIds: 3 },
    { type: 'crossed', name: 'dev_x_tags_x_xe', components: ['dev', 'tags', 'xe'], vocabulary: {}, commutative: true, pooling: 'mean', feeds: ['deep'] },
  ],
  label: { kind: 'binary', column: 'y', predicate: { op: '>', value: 0.5 } },
};
const rowArb = fc.record({
  city: fc.option(fc.constantFrom('paris', 'rome', 'oslo', 'lima', 'åre'), { nil: null }),
  dev: fc.option(fc.constantFrom('ios', 'web', 'tv'), { nil: null }),
  uid: fc.option(fc.integer({ min: -1, max: 7 }), { nil: null }),
  x: fc.option(fc.double({ min: -5, max: 5, noNaN: true }), { nil: null }),
  tags: fc.option(fc.array(fc.constantFrom('a', 'b', 'c', 'd'), { maxLength: 4 }), { nil: null }),
  y: fc.double({ min: 0, max: 1, noNaN: true }),
});
const rowsArb = fc.array(rowArb, { minLength: 0, maxLength: 25 });
// Training sets always hold one complete row, so every statistic has a value to fit on.
const FULL_ROW = { city: 'paris', dev: 'ios', uid: 1, x: 0.5, tags: ['a'], y: 1 };
const trainArb = rowsArb.map((rows) => [FULL_ROW, ...rows]);

const sameBatch = (a: FeatureBatch, b: FeatureBatch): void => {
  expect(b.wide).toEqual(a.wide);
  expect(b.deep).toEqual(a.deep);
  expect(b.dense).toEqual(a.dense);
  expect(b.sequences).toEqual(a.sequences);
  expect(b.labels).toEqual(a.labels);
  expect(b.truncatedCrosses).toEqual(a.truncatedCrosses);
};

describe('sparse layout', () => {
  it('lays the sparse columns out once when the same columns feed the wide and the deep part', async () => {
    const rows = [rowsToChunk([{ a: 'x', b: 'y' }, { a: 'z', b: null }])];
    const both = await fit({ columns: [{ type: 'categorical', name: 'a', hashBuckets: 5 }, { type: 'categorical', name: 'b', vocabulary: {} }] }, rows);
    const sb = transform(both, rows[0]!);
    expect(sb.deep).toBe(sb.wide);
    const apart = await fit({ columns: [{ type: 'categorical', name: 'a', hashBuckets: 5 }, { type: 'categorical', name: 'b', vocabulary: {}, feeds: ['wide'] }] }, rows);
    const ab = transform(apart, rows[0]!);
    expect(ab.deep).not.toBe(ab.wide);
    expect(ab.deep.keys).toEqual(['a']);
    expect(ab.wide.keys).toEqual(['a', 'b']);
  });
});

describe('numeric transforms', () => {
  it('log1p gives Math.log1p exactly (as float32), on the table of small integers and off it', async () => {
    const xs = [-0, 0, 1, 2, 1023, 1024, 1025, 5000, 1e9, 0.5, 1.5, 1023.5, -0.5, -1e-300, 2 ** 31, 2 ** 32 + 1, ...Array.from({ length: 50 }, (_, i) => i * 21)];
    const spec = await fit({ columns: [{ type: 'numeric', name: 'x', log1p: true }] }, [rowsToChunk([{ x: 1 }])]);
    const b = transform(spec, rowsToChunk(xs.map((x) => ({ x }))));
    expect([...b.dense]).toEqual(xs.map((x) => Math.fround(Math.log1p(x))));
    expect(Object.is(b.dense[0], -0)).toBe(true);
  });

  it('encodes numbers alike whether rows are skipped or not (the skip path is a loop of its own)', async () => {
    const columns = [{ type: 'numeric' as const, name: 'x', log1p: true, clip: { min: 0, max: 3000 }, missing: { strategy: 'constant' as const, value: 7 } }];
    const spec = await fit({ columns, onBadRow: 'skip' }, [rowsToChunk([{ x: 1 }])]);
    const xs = [0, 1, null, 1023, 1024, 2.5, 5000, -3, 12];
    const all = transform(spec, rowsToChunk(xs.map((x) => ({ x }))));
    const withBad = transform(spec, rowsToChunk([...xs.slice(0, 4), Infinity, ...xs.slice(4)].map((x) => ({ x }))));
    expect(withBad.skippedRows).toBe(1);
    expect([...withBad.dense]).toEqual([...all.dense]);
    expect([...all.dense]).toEqual([0, 1, 7, 1023, 1024, 2.5, 3000, 0, 12].map((x) => Math.fround(Math.log1p(x))));
  });
});

describe('fitted spec and transform contracts', () => {
  it('fit -> JSON -> parse gives an equal spec that transforms identically', async () => {
    await fc.assert(
      fc.asyncProperty(trainArb, rowsArb, async (train, test) => {
        const spec = await fit(MIXED, streamOf(rowsToChunk(train.slice(0, 10)), rowsToChunk(train.slice(10))));
        const loaded = parseFittedSpec(JSON.parse(serializeFittedSpec(spec)));
        expect(loaded).toStrictEqual(spec);
        expect(JSON.stringify(loaded)).toBe(JSON.stringify(spec));
        sameBatch(transform(spec, rowsToChunk(test)), transform(loaded, rowsToChunk(test)));
      }),
      { numRuns: 40 },
    );
  });

  it('transforming a batch equals transforming each row alone', async () => {
    await fc.assert(
      fc.asyncProperty(trainArb, rowsArb, async (train, test) => {
        const spec = await fit(MIXED, [rowsToChunk(train)]);
        const batch = transform(spec, rowsToChunk(test));
        const truncated = test.map((row) => transform(spec, rowsToChunk([row])).truncatedCrosses.tags_x_city ?? 0);
        expect(truncated.reduce((a, b) => a + b, 0)).toBe(batch.truncatedCrosses.tags_x_city);
        test.forEach((row, i) => {
          const single = transform(spec, rowsToChunk([row]));
          const bag = (s: FeatureBatch['wide'], f: number, b: number, n: number) => [...s.ids.subarray(s.offsets[f * n + b]!, s.offsets[f * n + b + 1]!)];
          for (const part of ['wide', 'deep'] as const) {
            batch[part].keys.forEach((_, f) => expect(bag(single[part], f, 0, 1)).toEqual(bag(batch[part], f, i, batch.batchSize)));
          }
          const w = batch.denseWidth;
          expect(single.dense).toEqual(batch.dense.subarray(i * w, (i + 1) * w));
          for (const [key, seq] of Object.entries(batch.sequences)) {
            expect(single.sequences[key]!.ids).toEqual(seq.ids.subarray(i * seq.length, (i + 1) * seq.length));
            expect(single.sequences[key]!.lengths[0]).toBe(seq.lengths[i]);
          }
          expect(single.labels![0]).toBe(batch.labels![i]);
        });
      }),
      { numRuns: 40 },
    );
  });
});
