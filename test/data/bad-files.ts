import { writeFileSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';

/**
 * Files of `rows` data rows (columns user, item, x, label; x numeric) in CSV, TSV, JSON lines or Parquet, with
 * bad rows at given data-row ordinals (1-based). DuckDB's streaming result ends without an error at a bad
 * text row past its first chunks (~18k rows), which is what these files are for: rows read + skipped must
 * still equal the rows in the file. `rowOf` gives the row number a reader reports for a data row.
 */
export type BadFormat = 'csv' | 'tsv' | 'jsonl' | 'parquet';

/** What is wrong with a bad row. Parquet rows can only be 'nan' (a value the decoder rejects). */
export type BadKind = 'not-a-number' | 'fields' | 'utf8' | 'long' | 'nan';

export const BAD_FORMATS: readonly BadFormat[] = ['csv', 'tsv', 'jsonl', 'parquet'];

/** The bad kind that makes DuckDB's stream end early for a format (what the pipeline tests use). */
export const TRUNCATING_KIND: Record<BadFormat, BadKind> = { csv: 'fields', tsv: 'fields', jsonl: 'utf8', parquet: 'nan' };

/** The row number a reader reports for data row `k` (CSV and TSV have a header line). */
export function rowOf(format: BadFormat, k: number): number {
  return format === 'csv' || format === 'tsv' ? k + 1 : k;
}

function goodRow(k: number): { user: string; item: string; x: number; label: number } {
  return { user: `u${k % 37}`, item: `i${(k * 7) % 23}`, x: ((k * 13) % 101) / 10 - 5, label: (k * 31) % 3 === 0 ? 1 : 0 };
}

function textLine(format: 'csv' | 'tsv', fields: readonly (string | number)[]): Buffer {
  return Buffer.from(`${fields.join(format === 'csv' ? ',' : '\t')}\n`);
}

function badText(format: 'csv' | 'tsv', kind: BadKind, k: number): Buffer {
  const r = goodRow(k);
  if (kind === 'not-a-number') return textLine(format, [r.user, r.item, 'forty', r.label]);
  if (kind === 'fields') return textLine(format, [r.user, r.item, r.x]);
  if (kind === 'utf8') return Buffer.concat([Buffer.from(`u${k}`), Buffer.from([0xff, 0xfe]), textLine(format, ['', r.item, r.x, r.label])]);
  if (kind === 'long') return textLine(format, [r.user, 'i'.repeat(2_100_000), r.x, r.label]);
  return textLine(format, [r.user, r.item, 'nan', r.label]);
}

function badJson(kind: BadKind, k: number): Buffer {
  const r = goodRow(k);
  if (kind === 'not-a-number') return Buffer.from(`${JSON.stringify({ ...r, x: 'forty' })}\n`);
  if (kind === 'fields') return Buffer.from(`{"user": "u${k}", "item": \n`);
  if (kind === 'utf8') return Buffer.concat([Buffer.from(`{"user": "u`), Buffer.from([0xff, 0xfe]), Buffer.from(`", "item": "${r.item}", "x": ${r.x}, "label": ${r.label}}\n`)]);
  if (kind === 'long') return Buffer.from(`${JSON.stringify({ ...r, item: 'i'.repeat(2_100_000) })}\n`);
  return Buffer.from(`${JSON.stringify({ ...r, x: 'nan' })}\n`);
}

/** The bytes of a text file with `rows` rows, bad at the ordinals in `bad` (a map from ordinal to kind). */
function textFile(format: 'csv' | 'tsv' | 'jsonl', rows: number, bad: ReadonlyMap<number, BadKind>): Buffer {
  const parts: Buffer[] = format === 'jsonl' ? [] : [textLine(format, ['user', 'item', 'x', 'label'])];
  for (let k = 1; k <= rows; k++) {
    const kind = bad.get(k);
    if (format === 'jsonl') parts.push(kind !== undefined ? badJson(kind, k) : Buffer.from(`${JSON.stringify(goodRow(k))}\n`));
    else {
      const r = goodRow(k);
      parts.push(kind !== undefined ? badText(format, kind, k) : textLine(format, [r.user, r.item, r.x, r.label]));
    }
  }
  return Buffer.concat(parts);
}

let duck: Promise<DuckDBInstance> | undefined;

/** Writes the file and returns its path (`${base}.${format}`). */
export async function writeBadFile(base: string, format: BadFormat, rows: number, bad: ReadonlyMap<number, BadKind>): Promise<string> {
  const path = `${base}.${format}`;
  if (format !== 'parquet') {
    writeFileSync(path, textFile(format, rows, bad));
    return path;
  }
  for (const kind of bad.values()) if (kind !== 'nan') throw new Error(`a Parquet file cannot hold a bad row of kind ${kind}`);
  const csv = `${base}.source.csv`;
  writeFileSync(csv, textFile('csv', rows, bad));
  duck ??= DuckDBInstance.create(':memory:');
  const con = await (await duck).connect();
  try {
    const cols = "{'user': 'VARCHAR', 'item': 'VARCHAR', 'x': 'DOUBLE', 'label': 'DOUBLE'}";
    await con.run(`COPY (SELECT * FROM read_csv('${csv}', header=true, auto_detect=false, columns=${cols})) TO '${path}' (FORMAT parquet, ROW_GROUP_SIZE 4096)`);
  } finally {
    con.closeSync();
  }
  return path;
}
