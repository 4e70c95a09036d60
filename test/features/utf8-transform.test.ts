import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Utf8Values } from '../../src/data/utf8-values.js';
import type { ColumnValues, RowChunk } from '../../src/data/types.js';
import { CategoricalCodes, idFunction, SLOT_CACHE_LIMIT } from '../../src/features/codes.js';
import { compile } from '../../src/features/compile.js';
import { murmur3Bytes, murmur3Range, murmur3String, murmur3View } from '../../src/features/hash.js';
import { fit, transform, type FeatureBatch, type FeatureConfig } from '../../src/features/index.js';
import { ByteSlotTable } from '../../src/features/slot-table.js';
import { chunkOf, streamOf } from './fixtures.js';

/** The same chunk with every string column as Utf8Values (what readers give). */
function asBytes(chunk: RowChunk): RowChunk {
  const columns = new Map<string, ColumnValues>();
  for (const [name, values] of chunk.columns) {
    const strings = !(values instanceof Float64Array) && !(values instanceof Utf8Values) && values.every((v) => v === null || typeof v === 'string');
    columns.set(name, strings ? Utf8Values.fromStrings(values as (string | null)[]) : values);
  }
  return { ...chunk, columns };
}

function plain(b: FeatureBatch): unknown {
  return { wide: [...b.wide.ids], wideOffsets: [...b.wide.offsets], deep: [...b.deep.ids], dense: [...b.dense], labels: [...(b.labels ?? [])], rows: [...b.rowNumbers] };
}

const CONFIG: FeatureConfig = {
  columns: [
    { type: 'categorical', name: 'city' },
    { type: 'categorical', name: 'device', hashBuckets: 50, feeds: ['wide'] },
    { type: 'categorical', name: 'user', identity: { numBuckets: 1000 }, feeds: ['deep'] },
    { type: 'categorical', name: 'shop', values: ['b', 'a', 'é', '', 'a long shop name, thirty bytes'], feeds: ['wide'] },
    { type: 'crossed', name: 'city_x_device', components: ['city', 'device'], hashBuckets: 64 },
    { type: 'crossed', name: 'city_x_shop', components: ['city', 'shop'], vocabulary: { minCount: 1 } },
    { type: 'crossed', name: 'device_x_city', components: ['device', 'city'], hashBuckets: 64, commutative: true },
  ],
  label: { kind: 'binary', column: 'y', positive: ['yes'], negative: ['no'] },
};

const city = ['paris', 'rome', 'oslo', 'zürich', 'são paulo', 'a city name longer than twelve', '', null];
const device = ['ios', 'android', 'web', null, 'tv', 'smart fridge with a browser'];
const shop = ['a', 'b', 'é', '', 'a long shop name, thirty bytes', 'c', null];

function rows(n: number, seed: number): Record<string, unknown[]> {
  let x = seed;
  const pick = <T>(xs: readonly T[]): T => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return xs[x % xs.length]!;
  };
  return {
    city: Array.from({ length: n }, () => pick(city)),
    device: Array.from({ length: n }, () => pick(device)),
    user: Array.from({ length: n }, () => pick(['1', '17', '999', '1000', '-0', '007', null])),
    shop: Array.from({ length: n }, () => pick(shop)),
    y: Array.from({ length: n }, () => pick(['yes', 'no'])),
  };
}

describe('transform of string columns held as UTF-8 bytes', () => {
  it('gives the ids of the same strings: hash, vocabulary, identity, hashed, vocabulary and commutative crosses', async () => {
    const train = chunkOf(rows(300, 1));
    const fromStrings = await fit(CONFIG, streamOf(train));
    const fromBytes = await fit(CONFIG, streamOf(asBytes(train)));
    expect(fromBytes).toEqual(fromStrings);
    const test = chunkOf(rows(500, 2));
    // Fresh specs (and slot caches) for each form, then a spec that has seen the other form first.
    const a = await fit(CONFIG, streamOf(train));
    expect(plain(transform(a, asBytes(test)))).toEqual(plain(transform(fromStrings, test)));
    expect(plain(transform(a, test))).toEqual(plain(transform(fromStrings, test)));
    expect(plain(transform(a, asBytes(test)))).toEqual(plain(transform(fromStrings, test)));
  });

  it('fit counts a value once whether it came as a string or as bytes', async () => {
    const cfg: FeatureConfig = { columns: [{ type: 'categorical', name: 'c', vocabulary: { minCount: 2 } }] };
    const part = chunkOf({ c: ['x', 'y', 'é'] });
    const mixed = await fit(cfg, streamOf(part, asBytes(part)));
    const strings = await fit(cfg, streamOf(part, part));
    expect(mixed).toEqual(strings);
    expect((mixed.columns[0] as { encoding: { values: string[] } }).encoding.values).toEqual(['x', 'y', 'é']);
  });

  it('hashes arbitrary text as murmur3String does', () => {
    fc.assert(
      fc.property(fc.array(fc.option(fc.string({ unit: 'grapheme', maxLength: 40 }), { nil: null }), { maxLength: 50 }), (values) => {
        const codes = new CategoricalCodes('c', 'c', idFunction({ kind: 'hash', numBuckets: 1000 }));
        const chunk = chunkOf({ c: values });
        const bytes = codes.encode(asBytes(chunk), null, values.length);
        values.forEach((v, i) => {
          const k = bytes.slots[i]!;
          if (v === null) expect(k).toBe(-1);
          else {
            expect(codes.slotHash[k]).toBe(murmur3String(v));
            expect(codes.tokenOf(k)).toBe(v);
            expect(bytes.ids[i]).toBe(1 + (murmur3String(v) % 1000));
          }
        });
      }),
    );
  });

  it('keeps the slot cache bounded: cleared past SLOT_CACHE_LIMIT between chunks, ids unchanged', async () => {
    // A cross reads `c`, so its values get slots (a hashed column that no cross reads skips the slot table).
    const cfg: FeatureConfig = {
      columns: [
        { type: 'categorical', name: 'c', hashBuckets: 100_000 },
        { type: 'categorical', name: 'd', values: ['x'] },
        { type: 'crossed', name: 'c_x_d', components: ['c', 'd'], hashBuckets: 1000 },
      ],
    };
    const spec = await fit(cfg, streamOf(chunkOf({ c: ['a'], d: ['x'] })));
    const n = SLOT_CACHE_LIMIT / 2 + 10;
    const part = (k: number): RowChunk => chunkOf({ c: Array.from({ length: n }, (_, i) => `v${k}-${i}`), d: new Array<string>(n).fill('x') });
    const codes = compile(spec).codes.get('c') as unknown as { slotId: number[] };
    const expected = (k: number): number[] => Array.from({ length: n }, (_, i) => 1 + (murmur3String(`v${k}-${i}`) % 100_000));
    for (let k = 0; k < 3; k++) {
      const b = transform(spec, asBytes(part(k)));
      expect([...b.wide.ids.subarray(0, n)]).toEqual(expected(k));
      // k = 0: n slots; k = 1: 2n > limit; k = 2: cleared first, then n again.
      expect(codes.slotId.length).toBe(k === 1 ? 2 * n : n);
    }
    const again = transform(spec, asBytes(part(0)));
    expect([...again.wide.ids.subarray(0, n)]).toEqual(expected(0));
  });

  it('hashes a column no cross reads straight from the bytes: same ids as strings, no slots kept', async () => {
    const cfg: FeatureConfig = { columns: [{ type: 'categorical', name: 'c', hashBuckets: 1000 }] };
    const values = ['a', 'é', '', 'longer than twelve bytes', null, '😀', 'a'];
    const spec = await fit(cfg, streamOf(chunkOf({ c: values })));
    const fromStrings = transform(spec, chunkOf({ c: values })).wide.ids;
    const codes = compile(spec).codes.get('c') as unknown as { slotId: number[] };
    const before = codes.slotId.length;
    const fromBytes = transform(spec, asBytes(chunkOf({ c: values }))).wide.ids;
    expect([...fromBytes]).toEqual([...fromStrings]);
    expect(fromBytes[4]).toBe(0);
    expect(fromBytes[0]).toBe(1 + (murmur3String('a') % 1000));
    expect(codes.slotId.length).toBe(before);
  });
});

describe('ByteSlotTable', () => {
  const enc = new TextEncoder();

  it('finds every key it was given, with murmur3 of the bytes as the hash, across growth and clear', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.uint8Array({ maxLength: 30 }), { maxLength: 300, selector: (b) => Buffer.from(b).toString('hex') }), (keys) => {
        const t = new ByteSlotTable(4);
        // Each key inside a larger array, as values of a Utf8Values are.
        const data = new Uint8Array(keys.reduce((s, k) => s + k.length + 3, 3));
        const at: number[] = [];
        let p = 3;
        for (const k of keys) {
          data.set(k, p);
          at.push(p);
          p += k.length + 3;
        }
        keys.forEach((k, i) => {
          expect(t.lookup(data, at[i]!, at[i]! + k.length)).toBe(-1);
          expect(t.lastMissHash).toBe(murmur3Bytes(k));
          expect(murmur3Range(data, at[i]!, at[i]! + k.length)).toBe(murmur3Bytes(k));
          expect(murmur3View(new DataView(data.buffer, data.byteOffset), data, at[i]!, at[i]! + k.length)).toBe(murmur3Bytes(k));
          expect(t.insert(data, at[i]!, at[i]! + k.length, 1000 + i)).toBe(i);
        });
        keys.forEach((k, i) => {
          expect(t.lookup(data, at[i]!, at[i]! + k.length)).toBe(i);
          expect(t.idAt(i)).toBe(1000 + i);
          expect(t.lookup(k, 0, k.length)).toBe(i);
        });
        t.clear();
        expect(t.size).toBe(0);
        if (keys[0] !== undefined) expect(t.lookup(keys[0], 0, keys[0].length)).toBe(-1);
      }),
    );
  });

  it('tells keys apart that share their first 8 bytes, their length or a zero padding', () => {
    const keys = ['abcdefgh', 'abcdefghi', 'abcdefghj', 'abcdefgh' + 'x'.repeat(30), 'abcdefgh' + 'y'.repeat(30), 'a', 'a\u0000', '', '\u0000'];
    const t = new ByteSlotTable();
    keys.forEach((k, i) => {
      const b = enc.encode(k);
      expect(t.lookup(b, 0, b.length)).toBe(-1);
      t.insert(b, 0, b.length, i);
    });
    keys.forEach((k, i) => {
      const b = enc.encode(k);
      expect(t.lookup(b, 0, b.length)).toBe(i);
      expect(t.keyString(i)).toBe(k);
    });
  });

  it('slots taken by skip() match no key', () => {
    const t = new ByteSlotTable();
    t.skip();
    const b = enc.encode('');
    expect(t.lookup(b, 0, 0)).toBe(-1);
    expect(t.insert(b, 0, 0, 7)).toBe(1);
    expect(t.lookup(b, 0, 0)).toBe(1);
  });
});

describe('vocabulary ids from bytes', () => {
  it('agree with the string lookup, duplicates and lone surrogates included', () => {
    const values = ['b', 'a', 'b', '\uD800', '\uFFFD', 'é', 'a long value of more than twelve bytes'];
    const id = idFunction({ kind: 'vocabulary', values, fit: null });
    const ofBytes = id.ofBytes!;
    for (const v of ['a', 'b', '\uFFFD', 'é', 'a long value of more than twelve bytes', 'zz', '']) {
      const b = new TextEncoder().encode(v);
      expect(ofBytes(b, 0, b.length, murmur3Bytes(b))).toBe(id(v, murmur3String(v)));
    }
    expect(id('b', 0)).toBe(3);
    expect(id('\uD800', 0)).toBe(4);
  });
});
