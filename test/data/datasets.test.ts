import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAdult, adultReadOptions, ADULT_LABEL } from '../../src/data/datasets/adult.js';
import { loadMovieLens100k } from '../../src/data/datasets/movielens.js';
import { loadCriteo, criteoReadOptions } from '../../src/data/datasets/criteo.js';
import { resolveDataDir } from '../../src/data/datasets/data-dir.js';
import { labelChunk } from '../../src/data/labels.js';
import { openTable } from '../../src/data/reader.js';
import type { RowChunk } from '../../src/data/types.js';
import { catchError, cells, DATA_DIR, HAS_DATA, tempDir } from './helpers.js';

if (!HAS_DATA) console.warn(`[test/data] skipping Adult/MovieLens/Criteo tests: ${DATA_DIR} (adult/, ml-100k/, criteo/) is missing`);

const tmp = tempDir();

function countNull(chunk: RowChunk, name: string): number {
  const v = cells(chunk, name);
  return v.filter((x) => x === null || Number.isNaN(x)).length;
}

function counts(values: readonly (string | null)[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[String(v)] = (out[String(v)] ?? 0) + 1;
  return out;
}

/** Best rows/s of a few full scans. */
async function throughput(open: () => Promise<Awaited<ReturnType<typeof openTable>>>, rounds = 5): Promise<{ rows: number; rowsPerSec: number }> {
  let best = 0;
  let rows = 0;
  const reader = await open();
  for (let r = 0; r < rounds; r++) {
    const t = performance.now();
    rows = 0;
    for await (const c of reader.chunks()) rows += c.numRows;
    best = Math.max(best, rows / ((performance.now() - t) / 1000));
  }
  return { rows, rowsPerSec: best };
}

describe('data folder', () => {
  it('resolves the option, then WIDEDEEP_DATA_DIR, then ../shared/data from the current directory', () => {
    const saved = process.env['WIDEDEEP_DATA_DIR'];
    try {
      delete process.env['WIDEDEEP_DATA_DIR'];
      expect(resolveDataDir()).toBe(join(process.cwd(), '../shared/data'));
      process.env['WIDEDEEP_DATA_DIR'] = '/x/y';
      expect(resolveDataDir()).toBe('/x/y');
      expect(resolveDataDir('/a')).toBe('/a');
    } finally {
      if (saved === undefined) delete process.env['WIDEDEEP_DATA_DIR'];
      else process.env['WIDEDEEP_DATA_DIR'] = saved;
    }
  });

  it('a missing dataset says how to fetch it', async () => {
    const e = await catchError(() => loadAdult({ dataDir: tmp.dir }));
    expect(e.code).toBe('IO');
    expect(e.message).toContain("fetchDataset('adult'");
  });
});

describe.skipIf(!HAS_DATA)('UCI Adult', () => {
  it('reads 32,561 train and 16,281 test rows with their quirks', async () => {
    const { train, test, summaries } = await loadAdult({ dataDir: DATA_DIR });
    expect([train.numRows, test.numRows]).toEqual([32561, 16281]);
    expect(summaries.train.rowsSkipped + summaries.test.rowsSkipped).toBe(0);
    expect(counts(cells(train, 'income_bracket') as string[])).toEqual({ '<=50K': 24720, '>50K': 7841 });
    expect(counts(cells(test, 'income_bracket') as string[])).toEqual({ '<=50K.': 12435, '>50K.': 3846 });
    // The first line of adult.test is skipped, so its first row is line 2.
    expect(test.rowNumbers[0]).toBe(2);
    expect(train.rowNumbers[32560]).toBe(32561);
    // '?' is missing: 4,262 train and 2,203 test cells.
    const missing = (c: RowChunk): number => ['workclass', 'occupation', 'native_country'].reduce((s, n) => s + countNull(c, n), 0);
    expect([missing(train), missing(test)]).toEqual([4262, 2203]);
    expect((train.columns.get('age') as Float64Array)[0]).toBe(39);
    expect(cells(train, 'workclass')[0]).toBe('State-gov');
    // One label spec for both files: the trailing period is handled.
    expect(labelChunk(train, ADULT_LABEL).labels.reduce((s, y) => s + y, 0)).toBe(7841);
    expect(labelChunk(test, ADULT_LABEL).labels.reduce((s, y) => s + y, 0)).toBe(3846);
  });

  it('reads well above 100k rows/s', async () => {
    const options = await adultReadOptions('train', { dataDir: DATA_DIR });
    const { rows, rowsPerSec } = await throughput(() => openTable(options));
    console.info(`[throughput] Adult train (${rows} rows, 15 columns): ${Math.round(rowsPerSec).toLocaleString('en-US')} rows/s`);
    expect(rows).toBe(32561);
    expect(rowsPerSec).toBeGreaterThan(100_000);
  });
});

describe.skipIf(!HAS_DATA)('MovieLens 100K', () => {
  it('joins ratings, users and items; latin-1 titles; multi-valued genres; per-user time split; no history leakage', async () => {
    const ml = await loadMovieLens100k({ dataDir: DATA_DIR, maxHistory: 20 });
    const { data, train, test } = ml;
    expect(data.numRows).toBe(100000);
    expect(ml.genres).toHaveLength(19);
    const title = cells(data, 'title') as string[];
    const item = cells(data, 'item_id') as string[];
    const i543 = item.indexOf('543');
    expect(title[i543]).toBe('Misérables, Les (1995)');
    const genres = data.columns.get('genres') as string[][];
    const toy = item.indexOf('1');
    expect(genres[toy]).toEqual(["Animation", "Children's", 'Comedy']);
    expect((data.columns.get('release_year') as Float64Array)[toy]).toBe(1995);
    expect(genres.some((g) => g.length >= 3)).toBe(true);

    // Split sizes: per user floor(n_u / 5) test ratings, counted straight from u.data.
    const perUser = new Map<string, number>();
    for (const line of readFileSync(join(DATA_DIR, 'ml-100k/u.data'), 'utf8').split('\n')) {
      if (line !== '') perUser.set(line.split('\t')[0] as string, (perUser.get(line.split('\t')[0] as string) ?? 0) + 1);
    }
    const expectedTest = [...perUser.values()].reduce((s, n) => s + Math.floor(n / 5), 0);
    expect(test.numRows).toBe(expectedTest);
    expect(train.numRows).toBe(100000 - expectedTest);
    expect(new Set([...train.rowNumbers, ...test.rowNumbers]).size).toBe(100000);

    // History: only items the user rated strictly earlier in (timestamp, item_id) order, most recent last.
    const users = cells(data, 'user_id') as string[];
    const ts = data.columns.get('timestamp') as Float64Array;
    const history = data.columns.get('history') as string[][];
    const key = new Map<string, [number, number]>();
    for (let i = 0; i < data.numRows; i++) key.set(`${users[i] as string}|${item[i] as string}`, [ts[i] as number, Number(item[i])]);
    const before = (a: [number, number], b: [number, number]): boolean => a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);
    let nonEmpty = 0;
    let violations = 0;
    for (let i = 0; i < data.numRows; i++) {
      const h = history[i] as string[];
      if (h.length > 20) violations++;
      if (h.length > 0) nonEmpty++;
      const own = key.get(`${users[i] as string}|${item[i] as string}`) as [number, number];
      let prev: [number, number] | undefined;
      for (const it of h) {
        const k = key.get(`${users[i] as string}|${it}`);
        if (k === undefined || !before(k, own) || (prev !== undefined && !before(prev, k))) violations++;
        prev = k;
      }
    }
    expect(violations).toBe(0);
    expect(nonEmpty).toBe(100000 - perUser.size);
    // Test ratings are each user's latest: none precedes the user's last train rating.
    const lastTrain = new Map<string, [number, number]>();
    const trU = cells(train, 'user_id') as string[];
    const trT = train.columns.get('timestamp') as Float64Array;
    const trI = cells(train, 'item_id') as string[];
    for (let i = 0; i < train.numRows; i++) {
      const k: [number, number] = [trT[i] as number, Number(trI[i])];
      const cur = lastTrain.get(trU[i] as string);
      if (cur === undefined || before(cur, k)) lastTrain.set(trU[i] as string, k);
    }
    const teU = cells(test, 'user_id') as string[];
    const teT = test.columns.get('timestamp') as Float64Array;
    const teI = cells(test, 'item_id') as string[];
    let early = 0;
    for (let i = 0; i < test.numRows; i++) {
      if (!before(lastTrain.get(teU[i] as string) as [number, number], [teT[i] as number, Number(teI[i])])) early++;
    }
    expect(early).toBe(0);
  });
});

describe.skipIf(!HAS_DATA)('Criteo sample', () => {
  it('reads 1,999 rows; empty fields are NaN (integers) and null (categoricals)', async () => {
    const { data, summary } = await loadCriteo({ dataDir: DATA_DIR });
    expect(data.numRows).toBe(1999);
    expect(summary.rowsSkipped).toBe(0);
    const label = data.columns.get('label') as Float64Array;
    expect(label.filter((y) => y === 1).length).toBe(418);
    expect([countNull(data, 'I1'), countNull(data, 'I12'), countNull(data, 'C22'), countNull(data, 'C19')]).toEqual([889, 1554, 1631, 965]);
    expect((cells(data, 'C1') as (string | null)[]).every((v) => v === null || /^[0-9a-f]{8}$/.test(v))).toBe(true);
  });

  it('streams a larger file in the Criteo layout fast', async () => {
    const sample = readFileSync(join(DATA_DIR, 'criteo/train.tiny.txt'));
    const big = tmp.write('criteo-100x.txt', Buffer.concat(Array.from({ length: 100 }, () => sample)));
    const small = await throughput(async () => openTable(await criteoReadOptions({ dataDir: DATA_DIR })));
    const large = await throughput(async () => openTable(await criteoReadOptions({ path: big, chunkSize: 8192 })), 2);
    console.info(
      `[throughput] Criteo sample (${small.rows} rows, 40 columns): ${Math.round(small.rowsPerSec).toLocaleString('en-US')} rows/s; ` +
        `100x sample (${large.rows} rows): ${Math.round(large.rowsPerSec).toLocaleString('en-US')} rows/s`,
    );
    expect(large.rows).toBe(199900);
    expect(large.rowsPerSec).toBeGreaterThan(20_000);
  });
});
