import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { openTable, readAll, readChunks } from '../../src/data/reader.js';
import { concatChunks, rowObject } from '../../src/data/chunk.js';
import type { RowChunk } from '../../src/data/types.js';
import { cells, tempDir } from './helpers.js';

const tmp = tempDir();

function rows(chunk: RowChunk): Record<string, unknown>[] {
  return Array.from({ length: chunk.numRows }, (_, i) => rowObject(chunk, i));
}

describe('CSV reader', () => {
  it('reads a header, infers numeric and categorical columns, empty = missing, 1-based row numbers', async () => {
    const path = tmp.write('basic.csv', 'id,name,score\n1,ann,2.5\n2,,\n3,carl,-1e3\n');
    const { data, schema, summary } = await readAll({ path });
    expect(schema).toEqual([
      { name: 'id', kind: 'numeric' },
      { name: 'name', kind: 'categorical' },
      { name: 'score', kind: 'numeric' },
    ]);
    expect(data.numRows).toBe(3);
    expect(cells(data, 'name')).toEqual(['ann', null, 'carl']);
    const score = data.columns.get('score') as Float64Array;
    expect(score[0]).toBe(2.5);
    expect(Number.isNaN(score[1])).toBe(true);
    expect(score[2]).toBe(-1000);
    expect([...data.rowNumbers]).toEqual([2, 3, 4]);
    expect(data.source).toBe(path);
    expect(summary).toMatchObject({ rowsRead: 3, rowsSkipped: 0, badRows: [] });
  });

  it('reads a TSV without header with explicit names, or with generated names', async () => {
    const path = tmp.write('plain.tsv', 'a\t1\nb\t2\n');
    const named = await readAll({ path, header: false, columnNames: ['key', 'value'] });
    expect(rows(named.data)).toEqual([
      { key: 'a', value: 1 },
      { key: 'b', value: 2 },
    ]);
    expect([...named.data.rowNumbers]).toEqual([1, 2]);
    const unnamed = await readAll({ path, header: false });
    expect(unnamed.schema.map((c) => c.name)).toEqual(['column1', 'column2']);
  });

  it('handles a multi-character delimiter, null markers, quotes with delimiters and newlines inside', async () => {
    const adultLike = tmp.write('adult-like', '39, State-gov, ?\n50, ?, Husband\n');
    const a = await readAll({ path: adultLike, delimiter: ', ', header: false, columnNames: ['age', 'work', 'rel'], nullValues: ['?'] });
    expect(rows(a.data)).toEqual([
      { age: 39, work: 'State-gov', rel: null },
      { age: 50, work: null, rel: 'Husband' },
    ]);
    const quoted = tmp.write('quoted.csv', 'k,text\n1,"a, b"\n2,"line1\nline2"\n3,"say ""hi"""\n');
    const q = await readAll({ path: quoted });
    expect(cells(q.data, 'text')).toEqual(['a, b', 'line1\nline2', 'say "hi"']);
    // A quoted newline keeps one record: DuckDB numbers records, so row 4 is the third data record.
    expect([...q.data.rowNumbers]).toEqual([2, 3, 4]);
  });

  it('reads latin-1 files', async () => {
    const path = tmp.write('items.txt', Buffer.from('543|Mis\xe9rables, Les (1995)\n1|Toy Story (1995)\n', 'latin1'));
    const { data } = await readAll({ path, delimiter: '|', header: false, encoding: 'latin-1', columnNames: ['id', 'title'] });
    expect(cells(data, 'title')).toEqual(['Misérables, Les (1995)', 'Toy Story (1995)']);
  });

  it('applies per-column overrides: categorical ids keep leading zeros, list columns split', async () => {
    const path = tmp.write('over.csv', 'zip,genres,n\n01234,a|b,1\n99999,,2\n00001,c,3\n');
    const { data, schema } = await readAll({ path, columns: { zip: 'categorical', genres: { kind: 'list', separator: '|' }, n: 'categorical' } });
    expect(schema.map((c) => c.kind)).toEqual(['categorical', 'list', 'categorical']);
    expect(cells(data, 'zip')).toEqual(['01234', '99999', '00001']);
    expect(data.columns.get('genres')).toEqual([['a', 'b'], null, ['c']]);
    expect(cells(data, 'n')).toEqual(['1', '2', '3']);
  });

  it('selects a subset of columns in the given order', async () => {
    const path = tmp.write('sel.csv', 'a,b,c\n1,x,3\n');
    const { data, schema } = await readAll({ path, select: ['c', 'a'] });
    expect(schema.map((c) => c.name)).toEqual(['c', 'a']);
    expect(rows(data)).toEqual([{ c: 3, a: 1 }]);
  });

  it('detects the delimiter of a file without a known extension', async () => {
    const path = tmp.write('pipes.dat', 'a|b|c\n1|2|3\n4|5|6\n');
    const { data } = await readAll({ path });
    expect(rows(data)).toEqual([
      { a: 1, b: 2, c: 3 },
      { a: 4, b: 5, c: 6 },
    ]);
  });

  it('keeps values that contain the internal separator or equal the NULL marker', async () => {
    const path = tmp.write('ctrl.csv', 'a,b,c\nx\u001fy,\u001e,z\nq,,r\n');
    const { data } = await readAll({ path });
    expect(cells(data, 'a')).toEqual(['x\u001fy', 'q']);
    expect(cells(data, 'b')).toEqual(['\u001e', null]);
    expect(cells(data, 'c')).toEqual(['z', 'r']);
  });

  it('reads gzipped and UTF-16 files', async () => {
    const { gzipSync } = await import('node:zlib');
    const gz = tmp.write('g.csv.gz', gzipSync('a,b\n1,x\n\n2,y\n'));
    const g = await readAll({ path: gz });
    expect(cells(g.data, 'b')).toEqual(['x', 'y']);
    expect([...g.data.rowNumbers]).toEqual([2, 4]);
    const u16 = tmp.write('u16.csv', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('a,b\n1,é\n', 'utf16le')]));
    const u = await readAll({ path: u16, encoding: 'utf-16' });
    expect(rows(u.data)).toEqual([{ a: 1, b: 'é' }]);
  });

  it('numbers rows by file line, across blank lines and skipped leading lines', async () => {
    const path = tmp.write('blank.csv', 'comment line\na,b\n1,x\n\n2,y\n\n\n3,z\n');
    const { data } = await readAll({ path, skipLines: 1 });
    expect(cells(data, 'b')).toEqual(['x', 'y', 'z']);
    expect([...data.rowNumbers]).toEqual([3, 5, 8]);
  });

  it('counts a quoted field with blank lines inside as one record, with CRLF line ends', async () => {
    const path = tmp.write('crlf.csv', 'a,b\r\n1,"x\r\n\r\ny"\r\n\r\n2,z\r\n');
    const { data } = await readAll({ path });
    expect(cells(data, 'b')).toEqual(['x\r\n\r\ny', 'z']);
    expect([...data.rowNumbers]).toEqual([2, 4]);
    const { scanBlankRecords } = await import('../../src/data/line-scan.js');
    expect(await scanBlankRecords(path, { quote: '"', escape: '"', delimiter: ',' })).toEqual({ blanks: [3], records: 4 });
  });
});

describe('streaming', () => {
  const n = 10_007;
  const lines = ['id,group,value,tags'];
  for (let i = 0; i < n; i++) lines.push(`${i},g${i % 7},${(i * 0.5).toFixed(1)},${i % 3 === 0 ? '' : `t${i % 5};t${i % 2}`}`);
  const path = tmp.write('big.csv', `${lines.join('\n')}\n`);
  const options = { path, columns: { tags: { kind: 'list', separator: ';' } } } as const;

  it('chunks of a chosen size hold the same rows as readAll, in file order', async () => {
    const reader = await openTable({ ...options, chunkSize: 1000 });
    const chunks: RowChunk[] = [];
    for await (const c of reader.chunks()) chunks.push(c);
    expect(chunks.map((c) => c.numRows)).toEqual([...Array<number>(10).fill(1000), 7]);
    const all = (await readAll(options)).data;
    const streamed = concatChunks(chunks);
    expect(streamed.numRows).toBe(n);
    expect(rows(streamed)).toEqual(rows(all));
    expect([...streamed.rowNumbers]).toEqual(Array.from({ length: n }, (_, i) => i + 2));
    expect(reader.summary.rowsRead).toBe(n);
  });

  it('a reader can be scanned again (one scan per epoch), with another chunk size', async () => {
    const reader = await openTable(options);
    let a = 0;
    for await (const c of reader.chunks({ chunkSize: 4096 })) a += c.numRows;
    let b = 0;
    for await (const c of reader.chunks({ chunkSize: 333 })) {
      expect(c.numRows).toBeLessThanOrEqual(333);
      b += c.numRows;
    }
    expect([a, b]).toEqual([n, n]);
    await expect(reader.chunks({ chunkSize: 0 }).next()).rejects.toThrow('chunkSize must be a positive integer');
    await expect(reader.chunks({ chunksize: 10 } as never).next()).rejects.toThrow('valid options are: chunkSize');
  });

  it('stopping early closes the scan; readChunks reports the summary at the end', async () => {
    const reader = await openTable({ ...options, chunkSize: 100 });
    for await (const c of reader.chunks()) {
      expect(c.numRows).toBe(100);
      break;
    }
    let summary: unknown;
    let total = 0;
    for await (const c of readChunks({ ...options, chunkSize: 5000 }, (s) => (summary = s))) total += c.numRows;
    expect(total).toBe(n);
    expect(summary).toMatchObject({ rowsRead: n, rowsSkipped: 0 });
  });
});

describe('Parquet and JSON lines', () => {
  it('reads Parquet with numeric, string, list and date columns', async () => {
    const path = join(tmp.dir, 't.parquet');
    const db = await DuckDBInstance.create(':memory:');
    const con = await db.connect();
    await con.run(
      `COPY (SELECT i AS id, 'u' || i AS user, [i, i + 1] AS items, DATE '2020-01-01' + CAST(i AS INTEGER) AS day, CASE WHEN i = 2 THEN NULL ELSE i * 1.5 END AS x FROM range(5) t(i)) TO '${path}' (FORMAT parquet)`,
    );
    con.closeSync();
    const { data, schema } = await readAll({ path, columns: { id: 'categorical' } });
    expect(schema).toEqual([
      { name: 'id', kind: 'categorical' },
      { name: 'user', kind: 'categorical' },
      { name: 'items', kind: 'list' },
      { name: 'day', kind: 'numeric' },
      { name: 'x', kind: 'numeric' },
    ]);
    expect(cells(data, 'id')).toEqual(['0', '1', '2', '3', '4']);
    expect(cells(data, 'items')[1]).toEqual(['1', '2']);
    expect((data.columns.get('day') as Float64Array)[0]).toBe(Date.UTC(2020, 0, 1) / 1000);
    expect(Number.isNaN((data.columns.get('x') as Float64Array)[2])).toBe(true);
    expect([...data.rowNumbers]).toEqual([1, 2, 3, 4, 5]);
  });

  it('reads JSON lines: kinds from the values, arrays as lists, blank lines skipped, row = line', async () => {
    const path = tmp.write('t.jsonl', '{"u":"a","n":1,"g":["x","y"]}\n\n{"u":"b","n":2.5,"g":[]}\n{"u":null,"n":null,"g":null}\n');
    const { data, schema, summary } = await readAll({ path });
    expect(schema).toEqual([
      { name: 'u', kind: 'categorical' },
      { name: 'n', kind: 'numeric' },
      { name: 'g', kind: 'list' },
    ]);
    expect(rows(data)).toEqual([
      { u: 'a', n: 1, g: ['x', 'y'] },
      { u: 'b', n: 2.5, g: [] },
      { u: null, n: NaN, g: null },
    ]);
    expect([...data.rowNumbers]).toEqual([1, 3, 4]);
    expect(summary.rowsSkipped).toBe(0);
  });
});
