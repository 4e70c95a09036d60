import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { getColumn, numericColumn, valuesArray } from '../../src/data/chunk.js';
import type { RowChunk } from '../../src/data/types.js';
import { fitRun } from '../../src/train/pipeline.js';
import { loadRunData } from '../../src/train/run-data.js';
import { validationSplitOf } from '../../src/train/validation-split.js';
import { parseRunConfig } from '../../src/train/run-config.js';
import { catchError, DATA_DIR } from '../data/helpers.js';
import { smallConfig } from '../helpers/small-config.js';
import { fileConfig, tempDir, writeCsv } from './stream-fixtures.js';

const HAS_MOVIELENS = existsSync(join(DATA_DIR, 'ml-100k/u.data'));
if (!HAS_MOVIELENS) console.warn(`[test/train] skipping the MovieLens per-user-time validation test: ${DATA_DIR}/ml-100k is missing`);

const dir = tempDir();
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** smallConfig with train keys added. */
function withTrain(raw: Record<string, unknown>, train: Record<string, unknown>): Record<string, unknown> {
  return { ...raw, train: { ...(raw.train as Record<string, unknown>), ...train } };
}

/** The source row numbers of a chunk's rows, sorted. */
const rowNumbers = (c: RowChunk): number[] => [...c.rowNumbers].sort((a, b) => a - b);

/**
 * Per user, the row numbers of the last floor(n_u / 5) rows ordered by (time, tie), written out directly
 * from the columns: what per-user-time validation with validationFraction 0.2 must hold out.
 */
function lastFifthPerUser(rows: RowChunk, user: string, time: string, tie: string): number[] {
  const users = valuesArray(getColumn(rows, user));
  const times = numericColumn(rows, time);
  const ties = [...valuesArray(getColumn(rows, tie))].map((v: unknown) => (/^\d+$/.test(String(v)) ? Number(v) : String(v)));
  const byUser = new Map<unknown, number[]>();
  for (let i = 0; i < rows.numRows; i++) byUser.set(users[i], [...(byUser.get(users[i]) ?? []), i]);
  const out: number[] = [];
  for (const idx of byUser.values()) {
    idx.sort((a, b) => (times[a] as number) - (times[b] as number) || (ties[a]! < ties[b]! ? -1 : ties[a]! > ties[b]! ? 1 : 0) || a - b);
    const k = Math.floor(idx.length / 5);
    for (const i of idx.slice(idx.length - k)) out.push(rows.rowNumbers[i] as number);
  }
  return out.sort((a, b) => a - b);
}

describe('train.validationSplit', () => {
  it('per-user-time holds out exactly the last fifth of every user\'s training rows by time; the rest trains', async () => {
    const config = parseRunConfig(withTrain(smallConfig(), { validationSplit: 'per-user-time', validationFraction: 0.2 }));
    const data = await loadRunData(config.data, config.seed);
    const split = validationSplitOf(data, config);
    const expected = lastFifthPerUser(data.train, 'user_id', 'timestamp', 'app_id');
    expect(expected.length).toBeGreaterThan(100);
    expect(rowNumbers(split.validation as RowChunk)).toEqual(expected);
    expect(split.train.numRows + (split.validation as RowChunk).numRows).toBe(data.train.numRows);
    expect(rowNumbers(split.train).filter((r) => expected.includes(r))).toEqual([]);
    // No random draw: another seed holds out the same rows, where the random split changes them.
    const other = parseRunConfig(withTrain(smallConfig({ seed: 4 }), { validationSplit: 'per-user-time', validationFraction: 0.2 }));
    expect(rowNumbers(validationSplitOf(data, other).validation as RowChunk)).toEqual(expected);
    const random = (seed: number): number[] => rowNumbers(validationSplitOf(data, parseRunConfig(withTrain(smallConfig({ seed }), { validationFraction: 0.2 }))).validation as RowChunk);
    expect(random(3)).toEqual(random(3));
    expect(random(3)).not.toEqual(random(4));
    expect(random(3)).not.toEqual(expected);
  });

  it('fitRun validates on the per-user-time rows', async () => {
    const raw = withTrain(smallConfig({ epochs: 1 }), { validationSplit: 'per-user-time', validationFraction: 0.2 });
    const config = parseRunConfig(raw);
    const data = await loadRunData(config.data, config.seed);
    const r = await fitRun(config);
    expect(r.validation?.count).toBe(lastFifthPerUser(data.train, 'user_id', 'timestamp', 'app_id').length);
    const random = await fitRun(parseRunConfig(withTrain(smallConfig({ epochs: 1 }), { validationFraction: 0.2 })));
    expect(r.validation?.auc).not.toBe(random.validation?.auc);
    await r.model.release();
    await random.model.release();
  });

  it('data without user and time columns, stream mode, and too small a fraction are config errors', async () => {
    const train = join(dir, 'train.csv');
    writeCsv(train, 300);
    const files = parseRunConfig(withTrain(fileConfig({ train, stream: null }), { validationSplit: 'per-user-time' }));
    const e = await catchError(() => fitRun(files));
    expect(e.message).toContain('train.validationSplit');
    expect(e.message).toContain('none known');
    expect(e.details.fix).toContain('validationSplit: random');

    const s = await catchError(() => parseRunConfig(withTrain(fileConfig({ train, stream: {} }), { validationSplit: 'per-user-time' })));
    expect(s.details.field).toBe('train.validationSplit');
    expect(s.message).toContain('data.stream');

    const tiny = parseRunConfig(withTrain(smallConfig({ rows: 1000 }), { validationSplit: 'per-user-time', validationFraction: 0.01 }));
    const t = await catchError(() => fitRun(tiny));
    expect(t.details.field).toBe('train.validationFraction');
    expect(t.message).toContain('0 for every user');

    const bad = await catchError(() => parseRunConfig(withTrain(smallConfig(), { validationSplit: 'by-time' })));
    expect(bad.details.field).toBe('train.validationSplit');
    expect(bad.details.fix).toContain('validationSplit');
    const unknown = await catchError(() => parseRunConfig(withTrain(smallConfig(), { validation: 'per-user-time' })));
    expect(unknown.details.fix).toMatch(/validationFraction, validationSplit, refit/);
  });

  it.skipIf(!HAS_MOVIELENS)('MovieLens: per user, the validation rows come after the training rows and before the test rows', async () => {
    const config = parseRunConfig({
      data: { dataset: 'movielens-100k', dataDir: DATA_DIR },
      features: { columns: [{ type: 'categorical', name: 'item_id' }], label: { kind: 'binary', column: 'rating', predicate: { op: '>=', value: 4 } } },
      train: { validationSplit: 'per-user-time', validationFraction: 0.2 },
    });
    const data = await loadRunData(config.data, config.seed);
    const split = validationSplitOf(data, config);
    const validation = split.validation as RowChunk;
    expect(rowNumbers(validation)).toEqual(lastFifthPerUser(data.train, 'user_id', 'timestamp', 'item_id'));
    // (time, item) of each row, by user: train < validation < test in that order.
    const keyed = (c: RowChunk): Map<string, [number, number][]> => {
      const users = valuesArray(getColumn(c, 'user_id'));
      const items = valuesArray(getColumn(c, 'item_id'));
      const times = numericColumn(c, 'timestamp');
      const out = new Map<string, [number, number][]>();
      for (let i = 0; i < c.numRows; i++) out.set(String(users[i]), [...(out.get(String(users[i])) ?? []), [times[i] as number, Number(items[i])]]);
      return out;
    };
    const before = (a: [number, number], b: [number, number]): boolean => a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);
    const [t, v, x] = [keyed(split.train), keyed(validation), keyed(data.test)];
    let checked = 0;
    for (const [user, vs] of v) {
      const lastTrain = (t.get(user) ?? []).reduce((m, k) => (before(m, k) ? k : m), [-Infinity, 0] as [number, number]);
      const firstTest = (x.get(user) ?? []).reduce((m, k) => (before(k, m) ? k : m), [Infinity, 0] as [number, number]);
      for (const k of vs) {
        expect(before(lastTrain, k)).toBe(true);
        expect(before(k, firstTest)).toBe(true);
      }
      checked++;
    }
    // Every MovieLens user has >= 20 ratings, so >= 16 training rows and >= 3 validation rows.
    expect(checked).toBe(t.size);
  });
});
