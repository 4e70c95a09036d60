import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ColumnValues, RowChunk } from '../../src/data/types.js';
import { jsonRowsChunk } from '../../src/features/json-rows.js';
import { completeChunk, rowsToChunk } from '../../src/features/rows.js';

// jsonRowsChunk reads a `{"rows": [...]}` body straight into a RowChunk. Its contract: whenever it answers, the
// body is one the serving schema accepts and the chunk is exactly rowsToChunk(JSON.parse(body).rows)'s; for
// anything else it answers undefined (the server then takes the general path).

const SOURCE = 'request';
const MAX_ROWS = 6;

/** What the general path makes of a body: the chunk, or 'refused' (not JSON, refused by the schema, or a bad row). */
function general(text: string, options: { columns?: string[]; numeric?: string[] } = {}): RowChunk | 'refused' {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return 'refused';
  }
  const plain = (v: unknown): boolean => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!plain(body) || Object.keys(body as object).join() !== 'rows') return 'refused';
  const rows = (body as { rows: unknown }).rows;
  if (!Array.isArray(rows) || rows.length === 0 || rows.length > MAX_ROWS || !rows.every(plain)) return 'refused';
  try {
    return rowsToChunk(rows, { source: SOURCE, ...options });
  } catch {
    return 'refused';
  }
}

/** Why two chunks differ ('' when they are the same: columns in the same order, values by Object.is). */
function difference(a: RowChunk, b: RowChunk): string {
  if (a.numRows !== b.numRows || a.source !== b.source) return 'numRows or source';
  if (a.rowNumbers.join() !== b.rowNumbers.join()) return 'rowNumbers';
  const names = [...a.columns.keys()];
  if (names.join('\u0000') !== [...b.columns.keys()].join('\u0000')) return `columns ${JSON.stringify(names)} vs ${JSON.stringify([...b.columns.keys()])}`;
  for (const name of names) {
    const x = a.columns.get(name) as ColumnValues;
    const y = b.columns.get(name) as ColumnValues;
    if (x.constructor !== y.constructor || x.length !== y.length) return `column ${name}: kind`;
    for (let i = 0; i < x.length; i++) {
      const u = (x as ArrayLike<unknown>)[i];
      const v = (y as ArrayLike<unknown>)[i];
      const same = Array.isArray(u) && Array.isArray(v) ? u.length === v.length && u.every((item, k) => Object.is(item, v[k])) : Object.is(u, v);
      if (!same) return `column ${name}, row ${i + 1}: ${JSON.stringify(u)} vs ${JSON.stringify(v)}`;
    }
  }
  return '';
}

const read = (text: string): RowChunk | undefined => jsonRowsChunk(Buffer.from(text), { source: SOURCE, maxRows: MAX_ROWS });

// Bodies from a grammar that reaches every case: small pools, so that rows repeat their neighbours' keys and
// values (the reader's shortcut) and numbers that extend a previous one (33, then 335) come up.
const space = fc.constantFrom('', '', '', ' ', '\n  ', '\t', '\r\n');
const rare = <T>(common: fc.Arbitrary<T>, odd: fc.Arbitrary<T>): fc.Arbitrary<T> => fc.oneof({ weight: 12, arbitrary: common }, { weight: 1, arbitrary: odd });
const key = rare(fc.constantFrom('a', 'b', 'user_id', 'age', 'ü', '', '__proto__', 'toString'), fc.constantFrom('1', 'x"y', 'tab\tkey', 'a\u0000'));
const text = rare(fc.constantFrom('u1', 'u12', '', 'é', '\u2028', 'x'.repeat(8), 'x'.repeat(9), 'long value of many characters', '\ud800', 'ß'), fc.constantFrom('a\nb', 'quote"'));
const numberText = rare(
  fc.constantFrom('0', '-0', '3', '33', '335', '-12', '1.5', '1.50', '0.1', '0.30000000000000004', '123456789012345', '1234567890123456789', '1e5', '1E-3', '-2.5e+2', '0.000001', '1e400'),
  fc.constantFrom('01', '1.', '-', '.5', '+1', '1e', 'NaN'),
);
const word = rare(fc.constantFrom('true', 'false', 'null'), fc.constantFrom('tru', 'nul'));
const item = fc.oneof({ weight: 4, arbitrary: text.map((s) => JSON.stringify(s)) }, { weight: 2, arbitrary: numberText }, { weight: 1, arbitrary: rare(fc.constantFrom('true', 'false'), fc.constantFrom('null', '[]', '{}')) });
const list = fc.tuple(fc.array(fc.tuple(space, item, space), { maxLength: 4 }), space).map(([items, end]) => `[${items.map(([a, v, b]) => a + v + b).join(',')}${end}]`);
const value = fc.oneof({ weight: 4, arbitrary: text.map((s) => JSON.stringify(s)) }, { weight: 3, arbitrary: numberText }, { weight: 1, arbitrary: word }, { weight: 2, arbitrary: list }, { weight: 1, arbitrary: rare(word, fc.constantFrom('{}', '{"k":1}', '"unterminated')) });
const member = fc.tuple(space, key, space, space, value, space).map(([a, k, b, c, v, d]) => `${a}${JSON.stringify(k)}${b}:${c}${v}${d}`);
const row = fc.oneof({ weight: 12, arbitrary: fc.array(member, { maxLength: 4 }).map((ms) => `{${ms.join(',')}}`) }, { weight: 1, arbitrary: fc.constantFrom('1', 'null', '[]', '"s"', '{') });
const body = fc
  .tuple(space, rare(fc.array(row, { minLength: 1, maxLength: MAX_ROWS }), fc.array(row, { minLength: 0, maxLength: MAX_ROWS + 1 })), space, rare(fc.constant(''), fc.constantFrom(',"explain":true', ',"rows":[]', ' x')), rare(fc.constant('"rows"'), fc.constantFrom('"row"', '"rows "')))
  .map(([a, rows, b, extra, rowsKey]) => `${a}{${rowsKey}:[${rows.join(', ')}]${extra}}${b}`);

describe('jsonRowsChunk', () => {
  it('reads a body only when the schema accepts it, into exactly the chunk rowsToChunk builds (properties)', () => {
    let taken = 0;
    let runs = 0;
    fc.assert(
      fc.property(body, (t) => {
        runs++;
        const got = read(t);
        if (got === undefined) return;
        taken++;
        const want = general(t);
        expect(want, t).not.toBe('refused');
        expect(difference(got, want as RowChunk), t).toBe('');
      }),
      { numRuns: 3000 },
    );
    // The grammar reaches the reader's own path, not only its refusals.
    expect(taken).toBeGreaterThan(runs / 10);
  });

  it("reads the paper's request (one user's context on every candidate's row), compact and pretty-printed", () => {
    const user = { user_id: 'u12', country: 'cty03', installed_apps: ['a1', 'a2', 'a3'], age: 33, hour: 5, vip: false, note: null };
    const rows = [12, 7, 335, 3, 12].map((a, i) => ({ ...user, app_id: `a${a}`, score: a / 10, ...(i === 2 ? { age: 335 } : {}) }));
    for (const t of [JSON.stringify({ rows }), JSON.stringify({ rows }, null, 2), JSON.stringify({ rows: rows.map((r, i) => (i === 1 ? { app_id: r.app_id, ...user } : r)) })]) {
      const got = read(t);
      expect(got, t).toBeDefined();
      expect(difference(got as RowChunk, general(t) as RowChunk)).toBe('');
    }
  });

  it('repeats a list as the one array and keeps a number that extends the previous one', () => {
    const got = read('{"rows":[{"h":["a","b"],"n":33},{"h":["a","b"],"n":335},{"h":["a","b"],"n":33.5},{"h":["a","c"],"n":33}]}') as RowChunk;
    expect([...(got.columns.get('n') as Float64Array)]).toEqual([33, 335, 33.5, 33]);
    const h = got.columns.get('h') as (readonly string[])[];
    expect(h[1]).toBe(h[0]);
    expect(h[3]).toEqual(['a', 'c']);
  });

  it('decodes non-ASCII and invalid UTF-8 bytes as the general path does', () => {
    const bytes = Buffer.concat([Buffer.from('{"rows":[{"c":"caf\u00e9 \u6f22"},{"c":"'), Buffer.from([0xc3, 0x28, 0xff, 0xe6, 0xbc]), Buffer.from('"},{"\u00fc":"\ufeffx"}]}')]);
    const got = jsonRowsChunk(bytes, { source: SOURCE, maxRows: MAX_ROWS }) as RowChunk;
    expect(got).toBeDefined();
    expect(difference(got, general(bytes.toString('utf8')) as RowChunk)).toBe('');
  });

  it('leaves every other body to the general path', () => {
    const others = [
      '{"rows":[{"a":1}],"explain":true}', // another top-level key
      '{"rows":[]}', // no rows
      `{"rows":[${'{"a":1},'.repeat(MAX_ROWS)}{"a":1}]}`, // more than maxRows
      '{"rows":[1]}', // a row that is not an object
      '{"rows":[{"a":{"b":1}}]}', // an object value
      '{"rows":[{"a":["x",null]}]}', // null in a list
      '{"rows":[{"a":[["x"]]}]}', // a list in a list
      '{"rows":[{"a":["x"]},{"a":"y"}]}', // lists and single values in one column
      '{"rows":[{"a":"x\\ny"}]}', // an escape
      '{"rows":[{"a":"x\ty"}]}', // a control character
      '{"rows":[{"2":1,"b":1}]}', // an array-index key
      '{"rows":[{"a":1,"a":2}]}', // a key twice in a row
      '{"rows":[{"a":1}]', // truncated
      '{"rows":[{"a":1}]} x', // trailing text
      '{"rows":[{"a":01}]}', // not a JSON number
    ];
    for (const t of others) expect(read(t), t).toBeUndefined();
    // More distinct keys than maxKeys (rowsToChunk's maxKeys error), in the first row or a later one.
    const keys = (t: string, maxKeys: number) => jsonRowsChunk(Buffer.from(t), { source: SOURCE, maxRows: MAX_ROWS, maxKeys });
    expect(keys('{"rows":[{"a":1,"b":1,"c":1}]}', 2)).toBeUndefined();
    expect(keys('{"rows":[{"a":1},{"b":1},{"c":1}]}', 2)).toBeUndefined();
    expect(keys('{"rows":[{"a":1},{"b":1},{"a":2}]}', 2)).toBeDefined();
  });
});

describe('completeChunk', () => {
  it("adds the spec's columns no row gives, as rowsToChunk's `columns` does", () => {
    const t = '{"rows":[{"b":1,"a":"x"},{"a":"y"}]}';
    const got = completeChunk(read(t) as RowChunk, { source: 'served', columns: ['a', 'c', 'b'], numeric: ['b'] }) as RowChunk;
    const want = rowsToChunk(JSON.parse(t).rows, { source: 'served', columns: ['a', 'c', 'b'], numeric: ['b'] });
    expect(difference(got, want)).toBe('');
  });

  it('answers undefined where a numeric column holds anything but numbers (rowsToChunk throws there)', () => {
    for (const v of ['"3"', 'true', '["3"]']) {
      const t = `{"rows":[{"age":null},{"age":${v}}]}`;
      expect(completeChunk(read(t) as RowChunk, { source: SOURCE, columns: [], numeric: ['age'] }), t).toBeUndefined();
      expect(general(t, { numeric: ['age'] })).toBe('refused');
    }
    const nulls = completeChunk(read('{"rows":[{"age":null}]}') as RowChunk, { source: SOURCE, columns: [], numeric: ['age'] });
    expect(nulls?.columns.get('age')).toEqual([null]);
  });
});
