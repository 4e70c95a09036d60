import { describe, expect, it } from 'vitest';
import { WideDeepError } from '../../src/core/errors.js';
import { rowsToChunk } from '../../src/features/rows.js';

function errorOf(f: () => unknown): WideDeepError {
  try {
    f();
  } catch (err) {
    if (err instanceof WideDeepError) return err;
    throw err;
  }
  throw new Error('expected a WideDeepError');
}

describe('rowsToChunk', () => {
  it('refuses a row that is not an object (null, a number, a string, a list), naming its row', () => {
    for (const [bad, what] of [
      [null, 'got null'],
      [42, 'got a number (42)'],
      ['hello', 'got a string ("hello")'],
      [[1, 2, 3], 'got a list'],
    ] as const) {
      const e = errorOf(() => rowsToChunk([{ a: 1 }, bad], { source: 'stdin', firstRowNumber: 7 }));
      expect(e.code).toBe('DATA');
      expect(e.details).toMatchObject({ file: 'stdin', row: 8 });
      expect(e.message).toContain(`not a JSON object, ${what}`);
      expect(e.details.fix).toMatch(/JSON object keyed by column/);
    }
  });

  it('names the first bad row in row order, whatever the column, by the given row numbers', () => {
    const rows = [{ a: 1, b: 'x' }, { a: 2, b: { x: 1 } }, { a: { y: 2 }, b: 'z' }];
    expect(errorOf(() => rowsToChunk(rows, { rowNumbers: [3, 5, 9] })).details).toMatchObject({ row: 5, field: 'b' });
    // The first value of a column decides list or single value; the row that disagrees is the bad one.
    expect(errorOf(() => rowsToChunk([{ a: 'y' }, { a: ['x'] }])).details).toMatchObject({ row: 2, field: 'a' });
    expect(rowsToChunk([{ a: 1 }, { b: 2 }], { rowNumbers: [4, 6] }).rowNumbers).toEqual(Int32Array.from([4, 6]));
    expect(errorOf(() => rowsToChunk([{ a: 1 }], { rowNumbers: [1, 2] })).code).toBe('CONFIG');
  });

  it('a `numeric` column takes numbers and null only, and names the row of any other value', () => {
    const e = errorOf(() => rowsToChunk([{ age: 31 }, { age: null }, { age: 'old' }], { numeric: ['age'] }));
    expect(e.details).toMatchObject({ row: 3, field: 'age' });
    expect(e.message).toContain('expected a number, got a string ("old")');
    const chunk = rowsToChunk([{ age: 31 }, { age: null }], { numeric: ['age'] });
    expect(Array.from(chunk.columns.get('age') as Float64Array)).toEqual([31, NaN]);
  });
  it('rows with their keys in other orders, or fewer keys, make the chunk the same rows make in one order', () => {
    const rows = [
      { a: 'x', b: 1, c: ['p'] },
      { a: 'y', b: 2, c: ['q', 'r'] },
      { b: 3, a: 'z', c: null },
      { c: ['s'], b: 4 },
      { a: 5, c: [], b: 6 },
      { b: 7, c: ['t'], a: 'w', d: true },
    ];
    const ordered = rows.map((r) => Object.fromEntries(['a', 'b', 'c', 'd'].filter((k) => k in r).map((k) => [k, (r as Record<string, unknown>)[k]])));
    const got = rowsToChunk(rows, { columns: ['e'], numeric: ['b'] });
    const want = rowsToChunk(ordered, { columns: ['e'], numeric: ['b'] });
    expect([...got.columns.keys()]).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect([...want.columns.keys()]).toEqual([...got.columns.keys()]);
    for (const [k, v] of want.columns) expect(got.columns.get(k), k).toEqual(v);
    expect(got.columns.get('a')).toEqual(['x', 'y', 'z', null, '5', 'w']);
    // A column's kind and checks hold across reordered rows: a list after single values, a text value in a numeric column.
    expect(errorOf(() => rowsToChunk([{ a: 'x', b: 1 }, { b: 2, a: ['y'] }])).message).toMatch(/column 'a': mixes lists and single values/);
    expect(errorOf(() => rowsToChunk([{ a: 'x', b: 1 }, { b: 'two', a: 'y' }], { numeric: ['b'] })).details).toMatchObject({ row: 2, field: 'b' });
  });
  it("reads a row's own keys only: a row that leaves out `toString`, `constructor` or `__proto__` has it missing", () => {
    // As JSON.parse makes them: `__proto__` an own key, not the prototype.
    const rows = JSON.parse('[{"toString":"x","constructor":["a"],"__proto__":"p","n":1},{"n":2}]') as object[];
    const chunk = rowsToChunk(rows);
    expect(chunk.columns.get('toString')).toEqual(['x', null]);
    expect(chunk.columns.get('constructor')).toEqual([['a'], null]);
    expect(chunk.columns.get('__proto__')).toEqual(['p', null]);
  });
  it('refuses rows that give more than `maxKeys` distinct keys, naming the row that passed it (the `columns` added do not count)', () => {
    const rows = [{ a: 1, b: 2 }, { a: 3, c: 4 }, { d: 5 }];
    const e = errorOf(() => rowsToChunk(rows, { maxKeys: 3, columns: ['x', 'y'] }));
    expect(e.details).toMatchObject({ row: 3 });
    expect(e.message).toContain('more than 3 distinct keys');
    expect(String(e.details.fix)).toContain('input columns');
    expect([...rowsToChunk(rows.slice(0, 2), { maxKeys: 3, columns: ['x', 'y'] }).columns.keys()]).toEqual(['a', 'b', 'c', 'x', 'y']);
  });
});
