import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { saveBundle } from '../../src/artifact/bundle.js';
import { numericColumn, stringColumn, syntheticData } from '../../src/data/index.js';
import { queryRows, sqlString, withConnection } from '../../src/data/duckdb.js';
import { fitRun } from '../../src/train/pipeline.js';
import { parseRunConfig } from '../../src/train/run-config.js';
import { jsonLines, runMain } from '../helpers/cli.js';
import { smallConfig } from '../helpers/small-config.js';

/**
 * What the score tests run on: a small fitted Wide & Deep bundle (test/helpers/small-config.ts, its
 * multi-valued column read from a '|'-separated field so that rows can come from CSV) and its synthetic rows
 * written as CSV (text, one row per line), as JSON lines, and as Parquet by DuckDB (small row groups: many of
 * them, of a size that is no multiple of the batch).
 */
export interface ScoreFixture {
  readonly dir: string;
  readonly model: string;
  readonly csv: string;
  readonly parquet: string;
  readonly jsonl: string;
  readonly rows: number;
  /** The CSV's lines (header first), to write variants of it. */
  readonly lines: readonly string[];
}

export const COLUMNS = ['user_id', 'app_id', 'app_category', 'country', 'installed_apps', 'age', 'label'] as const;

export async function scoreFixture(rows: number): Promise<ScoreFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'wd-score-'));
  const raw = smallConfig({ rows: 1500, epochs: 1 });
  const features = raw.features as { columns: { type: string }[] };
  const columns = features.columns.map((c) => (c.type === 'multi-valued' ? { ...c, separator: '|' } : c));
  const config = parseRunConfig({ ...raw, features: { ...features, columns } });
  const outcome = await fitRun(config);
  const model = join(dir, 'model');
  try {
    await saveBundle(model, { config: config.raw, model: config.model, spec: outcome.spec, seed: config.seed, state: outcome.model.exportState('weights') });
  } finally {
    await outcome.model.release();
  }
  const data = syntheticData((raw.data as { synthetic: Record<string, number> }).synthetic, { rows });
  const cell = (name: string, i: number): string => {
    if (name === 'age' || name === 'label') return String(numericColumn(data, name)[i]);
    if (name === 'installed_apps') return ((data.columns.get(name) as (readonly string[] | null)[])[i] ?? []).join('|');
    return stringColumn(data, name)[i] ?? '';
  };
  const lines = [COLUMNS.join(','), ...Array.from({ length: rows }, (_, i) => COLUMNS.map((c) => cell(c, i)).join(','))];
  const csv = join(dir, 'rows.csv');
  writeFileSync(csv, `${lines.join('\n')}\n`);
  const jsonl = join(dir, 'rows.jsonl');
  const record = (i: number): string => JSON.stringify(Object.fromEntries(COLUMNS.map((c) => [c, c === 'age' || c === 'label' ? Number(cell(c, i)) : cell(c, i)])));
  writeFileSync(jsonl, `${Array.from({ length: rows }, (_, i) => record(i)).join('\n')}\n`);
  const parquet = join(dir, 'rows.parquet');
  await withConnection(async (con) => {
    await con.run(`COPY (SELECT * FROM read_csv(${sqlString(csv)}, header=true, types={'installed_apps': 'VARCHAR'})) TO ${sqlString(parquet)} (FORMAT parquet, ROW_GROUP_SIZE 300)`);
  });
  return { dir, model, csv, parquet, jsonl, rows, lines };
}

/** `widedeep predict`'s lines for a file: { row, prediction } in output order. */
export async function predictLines(args: readonly string[]): Promise<{ row: number; prediction: number }[]> {
  const r = await runMain(['predict', ...args]);
  if (r.code !== 0) throw new Error(`predict failed (${r.code}): ${r.stderr}`);
  return jsonLines(r.stdout) as { row: number; prediction: number }[];
}

/** The rows of a Parquet file, in file order (BIGINT as number). */
export async function parquetRows(path: string): Promise<Record<string, unknown>[]> {
  const rows = await withConnection((con) => queryRows(con, `SELECT * FROM read_parquet(${sqlString(path)})`));
  return rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])));
}
