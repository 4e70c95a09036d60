import { describe, expect, it } from 'vitest';
import { openTable, readAll } from '../../src/data/reader.js';
import { catchError, cells, tempDir } from './helpers.js';

const tmp = tempDir();

/** Every bad-input error names the file and, for row problems, the row, and says what to do. */
function expectNamed(message: string, file: string, row?: number): void {
  expect(message).toContain(`file ${file}`);
  if (row !== undefined) expect(message).toContain(`row ${row}`);
  expect(message).toContain('(fix: ');
}

describe('bad rows under onBadRow: error (the default)', () => {
  it('a row with too many or too few fields names file, row, expected and got', async () => {
    const many = tmp.write('many.csv', 'a,b,c\n1,2,3\n4,5,6,7\n');
    const e1 = await catchError(() => readAll({ path: many }));
    expect(e1.code).toBe('DATA');
    expectNamed(e1.message, many, 3);
    expect(e1.message).toContain('expected 3, got 4');
    expect(e1.details).toMatchObject({ file: many, row: 3 });

    const few = tmp.write('few.csv', 'a,b,c\n1,2,3\n4,5,6\n7,8\n');
    const e2 = await catchError(() => readAll({ path: few }));
    expectNamed(e2.message, few, 4);
    expect(e2.message).toContain('expected 3, got 2');
  });

  it('a non-numeric value in a numeric column names row, column and value', async () => {
    const path = tmp.write('nonnum.csv', 'x,y\n1,a\n2,b\nthree,c\n');
    const e = await catchError(() => readAll({ path, columns: { x: 'numeric' } }));
    expectNamed(e.message, path, 4);
    expect(e.message).toContain('"three"');
    expect(e.details.field).toBe('x');
    expect(e.details.fix).toContain("columns: { x: 'categorical' }");
  });

  it('a non-numeric value after the inference sample is caught at its row', async () => {
    const lines = ['v'];
    for (let i = 0; i < 50; i++) lines.push(String(i));
    lines.push('oops');
    const path = tmp.write('late.csv', `${lines.join('\n')}\n`);
    const e = await catchError(() => readAll({ path, inferRows: 10 }));
    expectNamed(e.message, path, 52);
    expect(e.message).toContain('"oops"');
  });

  it('NaN and Infinity in a numeric column are errors with their row', async () => {
    const nan = tmp.write('nan.csv', 'x,y\n1,2\nnan,3\n');
    const e1 = await catchError(() => readAll({ path: nan }));
    expectNamed(e1.message, nan, 3);
    expect(e1.message).toContain('not finite');
    expect(e1.details.field).toBe('x');
    const inf = tmp.write('inf.csv', 'x,y\n1,2\n\n3,-Infinity\n');
    const e2 = await catchError(() => readAll({ path: inf, columns: { y: 'numeric' } }));
    expectNamed(e2.message, inf, 4);
    expect(e2.details.field).toBe('y');
  });

  it('an empty file, a header without rows and a missing file are errors naming the file', async () => {
    const empty = tmp.write('empty.csv', '');
    expectNamed((await catchError(() => readAll({ path: empty }))).message, empty);
    const blank = tmp.write('blank.csv', '\n\n');
    expectNamed((await catchError(() => readAll({ path: blank }))).message, blank);
    const headerOnly = tmp.write('header.csv', 'a,b\n');
    const e = await catchError(() => readAll({ path: headerOnly }));
    expectNamed(e.message, headerOnly);
    expect(e.message).toContain('no data rows');
    const missing = `${tmp.dir}/nope.csv`;
    const m = await catchError(() => readAll({ path: missing }));
    expect(m.code).toBe('IO');
    expectNamed(m.message, missing);
  });

  it('bytes that are not valid UTF-8 point at the encoding option', async () => {
    const path = tmp.write('latin.csv', Buffer.from('id,title\n1,ok\n2,Mis\xe9rables\n', 'latin1'));
    const e = await catchError(() => readAll({ path }));
    expectNamed(e.message, path, 3);
    expect(e.message).toContain('latin-1');
  });
});

describe('bad rows under onBadRow: skip', () => {
  it('skips and counts every bad row, keeps the right row numbers for good rows', async () => {
    // lines: 1 header, 2 good, 3 too few, 4 non-numeric, 5 blank, 6 NaN, 7 good, 8 too many, 9 good
    const path = tmp.write('mixed.csv', 'a,b,c\n1,x,2\n2,y\n3,z,w\n\n4,v,nan\n5,u,6\n6,t,7,8\n7,s,9\n');
    const reader = await openTable({ path, onBadRow: 'skip', columns: { c: 'numeric' } });
    const data = await reader.readAll();
    expect(cells(data, 'b')).toEqual(['x', 'u', 's']);
    expect([...data.rowNumbers]).toEqual([2, 7, 9]);
    const s = reader.summary;
    expect(s.rowsRead).toBe(3);
    expect(s.rowsSkipped).toBe(4);
    expect(s.badRows.map((b) => b.row).sort((x, y) => x - y)).toEqual([3, 4, 6, 8]);
    expect(s.badRows.find((b) => b.row === 3)?.reason).toContain('expected 3, got 2');
    expect(s.badRows.find((b) => b.row === 4)?.reason).toContain('"w"');
    expect(s.badRows.find((b) => b.row === 6)?.reason).toContain('not finite');
    expect(s.badRows.find((b) => b.row === 8)?.reason).toContain('expected 3, got 4');
    // A second scan (next epoch) reports the same.
    const again = await reader.readAll();
    expect([...again.rowNumbers]).toEqual([2, 7, 9]);
    expect(reader.summary.rowsSkipped).toBe(4);
  });

  it('a file whose every row is bad still says so', async () => {
    const path = tmp.write('allbad.csv', 'a,b\n1\n2\n');
    const reader = await openTable({ path, onBadRow: 'skip' });
    const data = await reader.readAll();
    expect(data.numRows).toBe(0);
    expect(reader.summary.rowsSkipped).toBe(2);
  });
});

describe('JSON lines bad rows', () => {
  it('a malformed line and a non-numeric value name their line', async () => {
    const path = tmp.write('bad.jsonl', '{"a":1,"b":"x"}\n{"a":2,"b":"y"\n{"a":"zz","b":"z"}\n{"a":3,"b":"w"}\n');
    const e = await catchError(() => readAll({ path }));
    expectNamed(e.message, path, 2);
    expect(e.message).toContain('not a valid JSON object');
    const reader = await openTable({ path, onBadRow: 'skip', columns: { a: 'numeric' } });
    const data = await reader.readAll();
    expect(cells(data, 'b')).toEqual(['x', 'w']);
    expect([...data.rowNumbers]).toEqual([1, 4]);
    expect(reader.summary.badRows).toEqual([
      { row: 2, reason: 'line is not a valid JSON object' },
      { row: 3, field: 'a', reason: 'value "zz" in numeric column a is not a number' },
    ]);
  });
});

describe('bad options', () => {
  const path = tmp.write('ok.csv', 'user,item,rating\nu1,i1,4\n');

  it('an unknown column name in columns or select lists the valid columns', async () => {
    const e = await catchError(() => readAll({ path, columns: { ratting: 'numeric' } }));
    expect(e.code).toBe('CONFIG');
    expect(e.message).toContain('unknown column "ratting"');
    expect(e.message).toContain('user, item, rating');
    expect(e.details.field).toBe('columns.ratting');
    const s = await catchError(() => readAll({ path, select: ['user', 'itme'] }));
    expect(s.message).toContain('user, item, rating');
  });

  it('an unknown option key lists the valid options', async () => {
    const e = await catchError(() => readAll({ path, delimeter: ';' } as never));
    expect(e.code).toBe('CONFIG');
    expect(e.message).toContain('"delimeter"');
    expect(e.details.fix).toContain('delimiter');
  });

  it('a CSV option on a Parquet file, a list without separator and a wrong name count are config errors', async () => {
    const p = await catchError(() => readAll({ path: `${tmp.dir}/x.parquet`, delimiter: ',' }));
    expect(p.message).toContain('applies to CSV files only');
    const l = await catchError(() => readAll({ path, columns: { item: 'list' } }));
    expect(l.message).toContain('needs a separator');
    const n = await catchError(() => readAll({ path, header: true, columnNames: ['a', 'b'] }));
    expect(n.message).toContain('2 names but the file has 3 fields');
  });
});
