import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { join } from 'node:path';
import { openTable, readAll, readChunks } from '../../src/data/reader.js';
import { checkComplete, emptySummary } from '../../src/data/scan.js';
import { scanBlankRecords } from '../../src/data/line-scan.js';
import type { ReadOptions } from '../../src/data/options.js';
import type { ScanSetup } from '../../src/data/source.js';
import type { WideDeepError } from '../../src/core/errors.js';
import { catchError, tempDir } from './helpers.js';
import { BAD_FORMATS, type BadFormat, type BadKind, TRUNCATING_KIND, rowOf, writeBadFile } from './bad-files.js';

const tmp = tempDir();
const N = 25_000;
// Line 10, past DuckDB's first chunks, and the last line.
const POSITIONS = [10, 20_001, N];
const options = (path: string, onBadRow: 'error' | 'skip'): ReadOptions => ({ path, onBadRow, columns: { user: 'categorical', item: 'categorical', x: 'numeric', label: 'numeric' } });

let fileCount = 0;
const badFile = (format: BadFormat, bad: ReadonlyMap<number, BadKind>, rows = N): Promise<string> => writeBadFile(join(tmp.dir, `f${fileCount++}`), format, rows, bad);

/** The error of a streamed read (chunks in a worker, as stream training reads). */
async function streamError(o: ReadOptions): Promise<WideDeepError> {
  return catchError(async () => {
    const reader = await openTable(o);
    for await (const c of reader.chunks({ worker: true, chunkSize: 4096 })) void c;
  });
}

describe.each(BAD_FORMATS)('a bad row anywhere in a %s file is never lost', (format) => {
  const kind = TRUNCATING_KIND[format];
  it.each(POSITIONS)(`onBadRow error: a bad row at data row %i stops readAll, readChunks and a worker scan at its row`, async (k) => {
    const path = await badFile(format, new Map([[k, kind]]));
    for (const read of [
      () => readAll(options(path, 'error')),
      async () => {
        for await (const c of readChunks({ ...options(path, 'error'), chunkSize: 1000 })) void c;
      },
    ]) {
      const e = await catchError(read);
      expect(e.details).toMatchObject({ file: path, row: rowOf(format, k) });
    }
    expect((await streamError(options(path, 'error'))).details.row).toBe(rowOf(format, k));
  });

  it.each(POSITIONS)('onBadRow skip: a bad row at data row %i is counted and left out, every other row read', async (k) => {
    const path = await badFile(format, new Map([[k, kind]]));
    const { data, summary } = await readAll(options(path, 'skip'));
    expect(summary.rowsRead + summary.rowsSkipped).toBe(N);
    expect(summary).toMatchObject({ rowsRead: N - 1, rowsSkipped: 1 });
    expect(summary.badRows[0]?.row).toBe(rowOf(format, k));
    const numbers = [...data.rowNumbers];
    expect(numbers).not.toContain(rowOf(format, k));
    expect(numbers[numbers.length - 1]).toBe(rowOf(format, k === N ? N - 1 : N));
    const reader = await openTable(options(path, 'skip'));
    let streamed = 0;
    for await (const c of reader.chunks({ worker: true, chunkSize: 3000 })) streamed += c.numRows;
    expect(streamed).toBe(N - 1);
    expect(reader.summary.rowsSkipped).toBe(1);
  });
});

describe('every kind of bad text row past the first chunks', () => {
  const kinds: readonly BadKind[] = ['not-a-number', 'fields', 'utf8', 'long'];
  for (const format of ['csv', 'tsv', 'jsonl'] as const) {
    it.each(kinds)(`${format}: %s at data row 20,001 names its row (error) or is counted (skip)`, async (kind) => {
      const path = await badFile(format, new Map([[20_001, kind]]));
      const e = await catchError(() => readAll(options(path, 'error')));
      expect(e.details.row).toBe(rowOf(format, 20_001));
      if (kind === 'not-a-number') {
        expect(e.details.field).toBe('x');
        expect(e.message).toContain('"forty"');
      }
      const { summary } = await readAll(options(path, 'skip'));
      expect(summary).toMatchObject({ rowsRead: N - 1, rowsSkipped: 1 });
      expect(summary.badRows[0]?.row).toBe(rowOf(format, 20_001));
    });
  }
});

describe('rows in = rows out + rows skipped (property)', () => {
  it('holds for generated files with bad rows at random places, in every text format, at any chunk size', async () => {
    const kinds: BadKind[] = ['not-a-number', 'fields', 'utf8'];
    const arb = fc.record({
      format: fc.constantFrom<BadFormat>('csv', 'tsv', 'jsonl'),
      rows: fc.integer({ min: 19_000, max: 26_000 }),
      bad: fc.uniqueArray(fc.record({ at: fc.double({ min: 0, max: 1, noNaN: true }), kind: fc.constantFrom(...kinds) }), { minLength: 1, maxLength: 4, selector: (b) => b.at }),
      chunkSize: fc.constantFrom(1, 997, 8192),
    });
    await fc.assert(
      fc.asyncProperty(arb, async ({ format, rows, bad, chunkSize }) => {
        const map = new Map(bad.map((b): [number, BadKind] => [1 + Math.floor(b.at * (rows - 1)), b.kind]));
        const path = await badFile(format, map, rows);
        const reader = await openTable({ ...options(path, 'skip'), chunkSize });
        let out = 0;
        for await (const c of reader.chunks()) out += c.numRows;
        const skipped = reader.summary.badRows.map((b) => b.row);
        const expected = [...map.keys()].sort((a, b) => a - b).map((k) => rowOf(format, k));
        expect(out + reader.summary.rowsSkipped).toBe(rows);
        expect(skipped.sort((a, b) => a - b)).toEqual(expected);
        const e = await catchError(() => readAll(options(path, 'error')));
        expect(e.details.row).toBe(expected[0]);
      }),
      { numRuns: 10, seed: 13 },
    );
  }, 120_000);
});

describe('checkComplete: a scan that ends early or gives too many rows fails, naming the row', () => {
  const setup = (o: Partial<ScanSetup>): ScanSetup => ({
    sql: '',
    firstRow: 2,
    excludedRows: [],
    rejected: [],
    expectedRows: 100,
    diagnose: (e) => Promise.reject(e as Error),
    locate: () => Promise.resolve(undefined),
    ...o,
  });
  const summary = (read: number, skipped = 0): ReturnType<typeof emptySummary> => ({ ...emptySummary('f.csv'), rowsRead: read, rowsSkipped: skipped });

  it('names the first row not accounted for, counting blank and rejected rows as the numbering does', async () => {
    await expect(checkComplete(summary(100), setup({}), 'error')).resolves.toBeUndefined();
    const early = await catchError(() => checkComplete(summary(40), setup({}), 'error'));
    expect(early.details).toMatchObject({ file: 'f.csv', row: 42 });
    expect(early.message).toContain('40 of the file');
    // Rows 10 and 20 are blank (excluded), row 30 was rejected before the scan (excluded and counted skipped).
    const withGaps = setup({ excludedRows: [10, 20, 30], rejected: [{ row: 30, reason: 'bad' }] });
    const e = await catchError(() => checkComplete(summary(39, 1), withGaps, 'skip'));
    expect(e.details.row).toBe(44);
  });

  it("prefers the row DuckDB's checks reject under 'error', and refuses more rows than the file has", async () => {
    const { dataError } = await import('../../src/data/data-errors.js');
    const located = dataError('wrong number of fields', { file: 'f.csv', row: 77 });
    const e = await catchError(() => checkComplete(summary(60), setup({ locate: () => Promise.resolve(located) }), 'error'));
    expect(e).toBe(located);
    const more = await catchError(() => checkComplete(summary(101), setup({}), 'error'));
    expect(more.message).toContain('101 rows');
  });
});

describe('the byte-level record scan agrees with DuckDB on quotes', () => {
  it('a quote inside an unquoted value is a plain character; a quote at a field start opens a quoted value', async () => {
    const path = tmp.write('quotes.csv', 'a, b\n1, x"y\n\n2, "p\nq"\n\n3, z\n');
    expect(await scanBlankRecords(path, { quote: '"', escape: '"', delimiter: ', ' })).toEqual({ blanks: [3, 5], records: 6 });
    const { data, summary } = await readAll({ path, delimiter: ', ' });
    expect([...data.rowNumbers]).toEqual([2, 4, 6]);
    expect(summary.rowsRead).toBe(3);
  });

  it('JSON lines: blank lines are numbered around, as in CSV', async () => {
    const path = tmp.write('blank.jsonl', '{"a": 1}\n\n{"a": 2}\n\n\n{"a": 3}\n\n');
    const { data, summary } = await readAll({ path });
    expect([...data.rowNumbers]).toEqual([1, 3, 6]);
    expect(summary).toMatchObject({ rowsRead: 3, rowsSkipped: 0 });
  });
});
