import type { ColumnSchema, ColumnValues, RowChunk } from '../types.js';
import type { ReadSummary } from '../source.js';
import { WideDeepError } from '../../core/errors.js';
import { chunkFromColumns, getColumn, numericColumn, stringColumn } from '../chunk.js';
import { readAll } from '../reader.js';
import { perUserSplit } from '../splits.js';
import { checkKeys } from '../data-errors.js';
import { datasetFile, resolveDataDir, type DataDirOptions } from './data-dir.js';

export interface MovieLensOptions extends DataDirOptions {
  /** Most recent earlier items kept in `history` (oldest first). Default 50. */
  readonly maxHistory?: number;
  /** Per user, the last floor(n_u * testFraction) ratings by (timestamp, item_id) are test. Default 0.2. */
  readonly testFraction?: number;
}

export const MOVIELENS_SCHEMA: readonly ColumnSchema[] = [
  { name: 'user_id', kind: 'categorical' },
  { name: 'item_id', kind: 'categorical' },
  { name: 'rating', kind: 'numeric' },
  { name: 'timestamp', kind: 'numeric' },
  { name: 'age', kind: 'numeric' },
  { name: 'gender', kind: 'categorical' },
  { name: 'occupation', kind: 'categorical' },
  { name: 'zip_code', kind: 'categorical' },
  { name: 'title', kind: 'categorical' },
  { name: 'release_year', kind: 'numeric' },
  { name: 'genres', kind: 'list' },
  { name: 'history', kind: 'list' },
];

export interface MovieLensData {
  /** Every rating in u.data order (row numbers are u.data lines). */
  readonly data: RowChunk;
  readonly train: RowChunk;
  readonly test: RowChunk;
  readonly schema: readonly ColumnSchema[];
  /** The 19 genre names of u.genre, in flag order. */
  readonly genres: readonly string[];
  /** The target column (1-5); the config decides e.g. rating >= 4 as positive. */
  readonly labelColumn: 'rating';
  readonly summaries: readonly ReadSummary[];
}

/**
 * MovieLens 100K: u.data joined with u.user and u.item (latin-1 titles), genres as a list, release year, and
 * each rating's `history`: the user's items rated strictly before it in (timestamp, item_id) order, so no rating
 * sees itself or a later one. Split per user by time (the last floor(n_u / 5) ratings are test).
 */
export async function loadMovieLens100k(options: MovieLensOptions = {}): Promise<MovieLensData> {
  checkKeys(options, ['dataDir', 'maxHistory', 'testFraction'], 'movielens');
  const dir = resolveDataDir(options.dataDir);
  const file = (name: string): Promise<string> => datasetFile(dir, `ml-100k/${name}`, 'movielens-100k');
  const genreFile = await readAll({ path: await file('u.genre'), delimiter: '|', header: false, columnNames: ['name', 'index'], columns: { name: 'categorical', index: 'numeric' } });
  const genres = stringColumn(genreFile.data, 'name').filter((g): g is string => g !== null);
  const ratings = await readAll({
    path: await file('u.data'),
    delimiter: '\t',
    header: false,
    columnNames: ['user_id', 'item_id', 'rating', 'timestamp'],
    columns: { user_id: 'categorical', item_id: 'categorical', rating: 'numeric', timestamp: 'numeric' },
  });
  const users = await readAll({
    path: await file('u.user'),
    delimiter: '|',
    header: false,
    columnNames: ['user_id', 'age', 'gender', 'occupation', 'zip_code'],
    columns: { user_id: 'categorical', age: 'numeric', gender: 'categorical', occupation: 'categorical', zip_code: 'categorical' },
  });
  const itemNames = ['item_id', 'title', 'release_date', 'video_release_date', 'imdb_url', ...genres.map((_, i) => `g${i}`)];
  const items = await readAll({
    path: await file('u.item'),
    delimiter: '|',
    header: false,
    quote: '',
    encoding: 'latin-1',
    columnNames: itemNames,
    columns: Object.fromEntries(itemNames.map((n) => [n, n.startsWith('g') ? 'numeric' : 'categorical'])),
  });
  const r = ratings.data;
  const userId = stringColumn(r, 'user_id');
  const itemId = stringColumn(r, 'item_id');
  const userRow = indexBy(users.data, 'user_id');
  const itemRow = indexBy(items.data, 'item_id');
  const itemGenres = genresOf(items.data, genres);
  const releaseYear = stringColumn(items.data, 'release_date').map((d) => (d !== null && /\d{4}$/.test(d) ? Number(d.slice(-4)) : NaN));

  const pick = (chunk: RowChunk, name: string, rows: Int32Array): ColumnValues => {
    const src = getColumn(chunk, name);
    if (src instanceof Float64Array) return Float64Array.from(rows, (i) => (i < 0 ? NaN : (src[i] as number)));
    const strings = stringColumn(chunk, name);
    return Array.from(rows, (i) => (i < 0 ? null : (strings[i] ?? null)));
  };
  const uRows = Int32Array.from(userId, (u, i) => lookup(userRow, u, 'u.user', r, i));
  const iRows = Int32Array.from(itemId, (it, i) => lookup(itemRow, it, 'u.item', r, i));
  const columns = new Map<string, ColumnValues>([
    ['user_id', getColumn(r, 'user_id')],
    ['item_id', getColumn(r, 'item_id')],
    ['rating', numericColumn(r, 'rating')],
    ['timestamp', numericColumn(r, 'timestamp')],
    ['age', pick(users.data, 'age', uRows)],
    ['gender', pick(users.data, 'gender', uRows)],
    ['occupation', pick(users.data, 'occupation', uRows)],
    ['zip_code', pick(users.data, 'zip_code', uRows)],
    ['title', pick(items.data, 'title', iRows)],
    ['release_year', Float64Array.from(iRows, (i) => releaseYear[i] ?? NaN)],
    ['genres', Array.from(iRows, (i) => itemGenres[i] ?? [])],
    ['history', userHistories(userId, itemId, numericColumn(r, 'timestamp'), options.maxHistory ?? 50)],
  ]);
  const data = chunkFromColumns(columns, { source: r.source, rowNumbers: r.rowNumbers });
  const { train, test } = perUserSplit(data, { userColumn: 'user_id', timeColumn: 'timestamp', itemColumn: 'item_id', fraction: options.testFraction ?? 0.2 });
  return { data, train, test, schema: MOVIELENS_SCHEMA, genres, labelColumn: 'rating', summaries: [ratings.summary, users.summary, items.summary, genreFile.summary] };
}

function indexBy(chunk: RowChunk, column: string): Map<string, number> {
  const ids = stringColumn(chunk, column);
  const out = new Map<string, number>();
  ids.forEach((id, i) => {
    if (id !== null) out.set(id, i);
  });
  return out;
}

function lookup(index: ReadonlyMap<string, number>, id: string | null, table: string, r: RowChunk, i: number): number {
  const row = id === null ? undefined : index.get(id);
  if (row === undefined) {
    throw new WideDeepError('DATA', `id ${String(id)} is not in ${table}`, { file: r.source, row: r.rowNumbers[i] as number, fix: `use the ${table} that belongs to this u.data` });
  }
  return row;
}

function genresOf(items: RowChunk, genres: readonly string[]): string[][] {
  const flags = genres.map((_, g) => items.columns.get(`g${g}`) as Float64Array);
  return Array.from({ length: items.numRows }, (_, i) => genres.filter((_, g) => (flags[g] as Float64Array)[i] === 1));
}

/**
 * For every rating, the item ids the same user rated before it in (timestamp, item_id) order (at most
 * `maxHistory`, most recent last). Ties in timestamp are ordered by item id, so the history never holds the
 * rating's own item or a later one.
 */
export function userHistories(
  userId: readonly (string | null)[],
  itemId: readonly (string | null)[],
  timestamp: Float64Array,
  maxHistory: number,
): (readonly string[])[] {
  const byUser = new Map<string | null, number[]>();
  userId.forEach((u, i) => {
    const g = byUser.get(u);
    if (g === undefined) byUser.set(u, [i]);
    else g.push(i);
  });
  const item = Float64Array.from(itemId, (s) => Number(s));
  const out = new Array<readonly string[]>(userId.length);
  for (const rows of byUser.values()) {
    rows.sort((a, b) => (timestamp[a] as number) - (timestamp[b] as number) || (item[a] as number) - (item[b] as number) || a - b);
    const seq = rows.map((i) => itemId[i] ?? '');
    rows.forEach((i, k) => {
      out[i] = seq.slice(Math.max(0, k - maxHistory), k);
    });
  }
  return out;
}
