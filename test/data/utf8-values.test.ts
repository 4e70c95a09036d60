import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { DuckDBVector } from '@duckdb/node-api';
import { ChunkBuilder, chunkFromColumns, concatChunks, rowObject, sliceRows, stringColumn, takeRows } from '../../src/data/chunk.js';
import { decodeChunk, DecodeBuffers, buildScan } from '../../src/data/decode.js';
import { duckdbInstance } from '../../src/data/duckdb.js';
import { openTable, readAll } from '../../src/data/reader.js';
import { shuffleBuffer } from '../../src/data/shuffle.js';
import { Utf8Builder, Utf8Values } from '../../src/data/utf8-values.js';
import type { RowChunk } from '../../src/data/types.js';
import { cells, tempDir } from './helpers.js';

const tmp = tempDir();

/** Well-formed strings (a lone surrogate cannot survive UTF-8), with the characters that matter here. */
const text = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.constantFrom('', 'a', '\u001e', '\u001f', 'x\u001fy', 'é', '日本語', '😀', 'twelve bytes', 'thirteen byte', 'ÿþ'),
);
const column = fc.array(fc.option(text, { nil: null }), { maxLength: 40 });

describe('Utf8Values', () => {
  it('gives back the strings it was made from, one by one and all at once', () => {
    fc.assert(
      fc.property(column, (values) => {
        const u = Utf8Values.fromStrings(values);
        expect(u.length).toBe(values.length);
        expect(values.map((_, i) => u.get(i))).toEqual(values);
        expect(u.strings()).toEqual(values);
        expect(values.map((v, i) => u.isNull(i) === (v === null))).not.toContain(false);
      }),
    );
  });

  it('takes, slices and concatenates like arrays of strings', () => {
    fc.assert(
      fc.property(column, column, fc.array(fc.nat(), { maxLength: 30 }), fc.nat(), fc.nat(), (a, b, picks, s, e) => {
        const u = Utf8Values.fromStrings(a);
        const idx = a.length === 0 ? [] : picks.map((p) => p % a.length);
        expect(u.take(idx).strings()).toEqual(idx.map((i) => a[i]));
        expect(u.slice(s % (a.length + 1), e % (a.length + 1)).strings()).toEqual(a.slice(s % (a.length + 1), e % (a.length + 1)));
        expect(Utf8Values.concat([u, Utf8Values.fromStrings(b)]).strings()).toEqual([...a, ...b]);
      }),
    );
  });

  it('builds from ranges, single values and strings, keeping missing values missing', () => {
    const src = Utf8Values.fromStrings(['a', null, 'ccc', '', 'é']);
    const b = new Utf8Builder(8, 1);
    b.appendRange(src, 1, 4);
    b.appendString('日本');
    b.appendFrom(src, 4);
    b.appendNull();
    b.appendBytes(new TextEncoder().encode('z'));
    const out = b.build();
    expect(out.strings()).toEqual([null, 'ccc', '', '日本', 'é', null, 'z']);
    expect(b.length).toBe(0);
    b.appendString('again');
    expect(b.build().strings()).toEqual(['again']);
  });
});

describe('chunks with Utf8Values columns', () => {
  const strings = ['p', null, 'qq', '', 'long value over twelve bytes', 'ü'];
  const chunk = (): RowChunk => chunkFromColumns({ s: Utf8Values.fromStrings(strings), x: Float64Array.from([1, 2, 3, 4, 5, 6]) });

  it('take, slice and concat keep the bytes form and the values', () => {
    const c = chunk();
    const taken = takeRows(c, [5, 0, 4, 1]);
    expect(taken.columns.get('s')).toBeInstanceOf(Utf8Values);
    expect(stringColumn(taken, 's')).toEqual(['ü', 'p', 'long value over twelve bytes', null]);
    expect(stringColumn(sliceRows(c, 2, 5), 's')).toEqual(['qq', '', 'long value over twelve bytes']);
    const both = concatChunks([c, c]);
    expect(both.columns.get('s')).toBeInstanceOf(Utf8Values);
    expect(stringColumn(both, 's')).toEqual([...strings, ...strings]);
    expect(rowObject(c, 4)).toEqual({ s: 'long value over twelve bytes', x: 5 });
  });

  it('concat of a bytes part and a strings part gives strings', () => {
    const other = chunkFromColumns({ s: ['r', null], x: Float64Array.from([7, 8]) });
    const both = concatChunks([chunk(), other]);
    expect(Array.isArray(both.columns.get('s'))).toBe(true);
    expect(stringColumn(both, 's')).toEqual([...strings, 'r', null]);
  });

  it('ChunkBuilder keeps the form of the first values it gets and converts the other form', () => {
    const schema = [
      { name: 's', kind: 'categorical' as const },
      { name: 'x', kind: 'numeric' as const },
    ];
    const b = new ChunkBuilder(schema, 4, 'mem');
    const c = chunk();
    const cols = [c.columns.get('s')!, c.columns.get('x')!];
    b.appendRange(cols, 0, 2, () => 1);
    b.append([['z'], Float64Array.from([9])], 0, 2);
    b.appendValues(['w', 10], 3);
    const first = b.build();
    expect(first.columns.get('s')).toBeInstanceOf(Utf8Values);
    expect(stringColumn(first, 's')).toEqual(['p', null, 'z', 'w']);
    const strs = new ChunkBuilder(schema, 4, 'mem');
    strs.appendValues(['a', 1], 1);
    strs.append(cols, 4, 2);
    const second = strs.build();
    expect(second.columns.get('s')).toEqual(['a', 'long value over twelve bytes']);
  });

  it('the shuffle buffer keeps every value (as strings)', async () => {
    const c = chunk();
    const out: RowChunk[] = [];
    for await (const part of shuffleBuffer([c, c], { bufferSize: 3, seed: 1, chunkSize: 5 })) out.push(part);
    const all = out.flatMap((p) => stringColumn(p, 's'));
    expect([...all].sort()).toEqual([...strings, ...strings].sort());
  });

  it('stringColumn refuses numeric columns', () => {
    expect(() => stringColumn(chunk(), 'x')).toThrow(/expected categorical/);
  });
});

describe('reader: string columns as bytes', () => {
  it('keeps every value exactly: empty vs missing, 12 and 13 bytes, multi-byte UTF-8, control characters', async () => {
    const values = ['', 'abcdefghijkl', 'abcdefghijklm', 'é', 'éééééé', 'éééééée', '日本語のテキストです', '😀😀😀', '\u001e', '\u001f', 'a\u001fb', 'ÿ', 'x'.repeat(5000)];
    const lines = ['id\ts\tt', ...values.map((v, i) => `${i}\t${v}\t${values[values.length - 1 - i]}`), `${values.length}\tNA\tNA`];
    const path = tmp.write('strings.tsv', `${lines.join('\n')}\n`);
    const { data } = await readAll({ path, quote: '', nullValues: ['NA'], columns: { s: 'categorical', t: 'categorical' } });
    expect(data.columns.get('s')).toBeInstanceOf(Utf8Values);
    expect(cells(data, 's')).toEqual([...values, null]);
    expect(cells(data, 't')).toEqual([...[...values].reverse(), null]);
  });

  it('packs each chunk of a scan into one buffer, and later chunks do not overwrite earlier ones', async () => {
    const n = 50;
    const lines = ['x,s,t'];
    for (let i = 0; i < n; i++) lines.push(`${i % 7 === 0 ? '' : i / 4},${i % 5 === 0 ? '' : `s${i}`},${'long-value-'.repeat(i % 3)}${i}`);
    const path = tmp.write('packed.csv', `${lines.join('\n')}\n`);
    const reader = await openTable({ path, chunkSize: 8, columns: { s: 'categorical', t: 'categorical' } });
    const parts: RowChunk[] = [];
    for await (const part of reader.chunks()) parts.push(part);
    expect(parts.length).toBe(7);
    for (const part of parts) {
      const buffers = new Set<ArrayBufferLike>([part.rowNumbers.buffer]);
      for (const v of part.columns.values()) {
        if (v instanceof Utf8Values) for (const a of [v.data, v.offsets, v.valid]) if (a !== null) buffers.add(a.buffer);
        if (v instanceof Float64Array) buffers.add(v.buffer);
      }
      expect(buffers.size).toBe(1);
    }
    const all = concatChunks(parts);
    expect([...(all.columns.get('x') as Float64Array)]).toEqual(Array.from({ length: n }, (_, i) => (i % 7 === 0 ? NaN : i / 4)));
    expect(cells(all, 's')).toEqual(Array.from({ length: n }, (_, i) => (i % 5 === 0 ? null : `s${i}`)));
    expect(cells(all, 't')).toEqual(Array.from({ length: n }, (_, i) => `${'long-value-'.repeat(i % 3)}${i}`));
    expect([...all.rowNumbers]).toEqual(Array.from({ length: n }, (_, i) => i + 2));
  });

  it('reads long values over many chunks, with missing values among them', async () => {
    // 5,000 rows: several DuckDB vectors, each with many values longer than 12 bytes.
    const n = 5000;
    const value = (i: number, c: number): string | null => (i % 17 === c ? null : `${c}-${'v'.repeat((i * 7 + c) % 40)}-${i}${i % 5 === 0 ? 'é' : ''}`);
    const lines = ['a,b,c'];
    for (let i = 0; i < n; i++) lines.push([0, 1, 2].map((c) => value(i, c) ?? '').join(','));
    const path = tmp.write('long.csv', `${lines.join('\n')}\n`);
    const reader = await openTable({ path, chunkSize: 1000 });
    const parts: RowChunk[] = [];
    for await (const part of reader.chunks()) parts.push(part);
    expect(parts.length).toBe(5);
    const all = concatChunks(parts);
    for (const [c, name] of ['a', 'b', 'c'].entries()) {
      expect(cells(all, name)).toEqual(Array.from({ length: n }, (_, i) => value(i, c)));
    }
  });

  it('decodes numbers and strings alike through the bindings, node-api\'s vector fields, or the public vector API', async () => {
    const con = await (await duckdbInstance()).connect();
    try {
      const schema = [
        { name: 'x', kind: 'numeric' as const },
        { name: 's', kind: 'categorical' as const },
      ];
      const { layout, sql } = buildScan(schema, (c) => c.name);
      const from = `(SELECT CASE WHEN i % 3 = 0 THEN NULL ELSE i * 1.5 END AS x, CASE WHEN i % 4 = 0 THEN NULL ELSE repeat('é', i % 9) END AS s FROM range(3000) t(i))`;
      const result = await con.stream(sql(from));
      const chunk = await result.fetchChunk();
      if (chunk === null) throw new Error('no chunk');
      const fast = decodeChunk(chunk, schema, layout, new DecodeBuffers());
      const expected = { x: [...(fast.values[0] as Float64Array)], s: (fast.values[1] as Utf8Values).strings() };
      // A proxy of `target` without the fields in `hidden` (as another version of @duckdb/node-api might have it).
      const without = <T extends object>(target: T, hidden: Set<string>, override: Record<string, unknown> = {}): T =>
        new Proxy(target, {
          get: (t, key) => {
            if (hidden.has(String(key))) return undefined;
            if (String(key) in override) return override[String(key)];
            const v = Reflect.get(t, key) as unknown;
            return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
          },
        });
      // No chunk handle for the bindings: node-api's vector objects and the fields duckdb-vectors.ts reads.
      const viaFields = decodeChunk(without(chunk, new Set(['chunk'])), schema, layout, new DecodeBuffers());
      expect([...(viaFields.values[0] as Float64Array)]).toEqual(expected.x);
      expect((viaFields.values[1] as Utf8Values).strings()).toEqual(expected.s);
      // Neither: the public methods alone.
      const bare = [0, 1].map((c) => without(chunk.getColumnVector(c), new Set(['items', 'dataView', 'validity'])) as DuckDBVector);
      const slow = decodeChunk(without(chunk, new Set(['chunk']), { getColumnVector: (c: number) => bare[c] }), schema, layout, new DecodeBuffers());
      expect([...(slow.values[0] as Float64Array)]).toEqual(expected.x);
      expect((slow.values[1] as Utf8Values).strings()).toEqual(expected.s);
      expect(expected.x.slice(0, 4)).toEqual([NaN, 1.5, 3, NaN]);
      expect(expected.s.slice(0, 3)).toEqual([null, 'é', 'éé']);
    } finally {
      con.closeSync();
    }
  });
});
