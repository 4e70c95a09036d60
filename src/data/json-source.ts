import { stat } from 'node:fs/promises';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { ColumnKind } from './types.js';
import type { ReadOptions } from './options.js';
import type { Source } from './source.js';
import { WideDeepError } from '../core/errors.js';
import { dataError, errorText } from './data-errors.js';
import { queryRows, sqlString } from './duckdb.js';
import { buildScan } from './decode.js';
import { buildSchema, columnsToInfer, listSeparator, selectedColumns } from './schema.js';
import { DEFAULT_INFER_ROWS } from './options.js';
import { textScan } from './text-scan.js';

/**
 * Plans a JSON-lines read. The file is read by DuckDB as one VARCHAR per line (`read_csv` with one column, no
 * quote), so its lines are text records: blank lines are dropped and numbered around, a line DuckDB rejects
 * (invalid UTF-8, longer than its line limit) is found in a reject table, and the row count proves the scan
 * complete, as for CSV (text-scan.ts). Every check of a line's JSON (valid object, numeric value, list value)
 * is a SQL expression whose message lands in `__e` with the row's own number.
 */
export async function planJsonLines(con: DuckDBConnection, options: ReadOptions): Promise<Source> {
  const file = options.path;
  const info = await stat(file).catch((e: unknown) => {
    throw new WideDeepError('IO', `cannot read file: ${errorText(e)}`, { file, fix: 'check the path' }, { cause: e });
  });
  if (info.size === 0) throw dataError('file is empty (0 bytes)', { file, fix: 'check the path, or download the file again' });
  const linesOf = (extra: string): string => `read_csv(${sqlString(file)}, header=false, delim=chr(31), quote='', escape='', auto_detect=false, columns={'l': 'VARCHAR'}${extra})`;
  const sampleRows = options.inferRows ?? DEFAULT_INFER_ROWS;
  const rows = await queryRows(
    con,
    `SELECT CAST(json_group_structure(json(l)) AS VARCHAR) AS s FROM (SELECT l FROM ${linesOf(', ignore_errors=true')} WHERE l IS NOT NULL AND json_valid(l) AND json_type(l) = 'OBJECT' LIMIT ${sampleRows})`,
  ).catch((e: unknown) => {
    throw dataError(`DuckDB could not read the file: ${errorText(e)}`, { file, fix: 'check that the file is JSON lines (one object per line, UTF-8)' }, e);
  });
  const structure = parseStructure(rows[0]?.['s']);
  const keys = Object.keys(structure);
  const selected = selectedColumns(keys, options);
  const inferred = new Map(columnsToInfer(selected, options).map((k): [string, ColumnKind] => [k, kindOfStructure(structure[k])]));
  const schema = buildSchema(selected, options, inferred);

  const scalarIdx = new Map<string, number>();
  const listIdx = new Map<string, number>();
  const path = (k: string): string => sqlString(`$."${k}"`);
  for (const col of schema) {
    if (col.kind === 'list' && listSeparator(options.columns?.[col.name]) === undefined) listIdx.set(col.name, listIdx.size);
    else scalarIdx.set(col.name, scalarIdx.size + 1);
  }
  const scalarPaths = [...scalarIdx.keys()].map(path).join(', ');
  const listExprs = [...listIdx].map(
    ([k, i]) => `, CASE WHEN st = 1 THEN json_extract_string(l, ${sqlString(`$."${k}"[*]`)}) END AS l${i}, CASE WHEN st = 1 THEN json_type(l, ${path(k)}) END AS t${i}`,
  );
  const checks: string[] = [];
  const { sql: scanSql, layout } = buildScan(
    schema,
    (col) => {
      const li = listIdx.get(col.name);
      if (li !== undefined) {
        checks.push(`WHEN t${li} IS NOT NULL AND t${li} NOT IN ('ARRAY', 'NULL') THEN ${sqlString(`${col.name}\x1fvalue of list column ${col.name} is not a JSON array`)}`);
        return `CASE WHEN t${li} = 'ARRAY' THEN l${li} END`;
      }
      const v = `v[${scalarIdx.get(col.name) as number}]`;
      if (col.kind === 'numeric') {
        checks.push(
          `WHEN ${v} IS NOT NULL AND TRY_CAST(${v} AS DOUBLE) IS NULL THEN ${sqlString(`${col.name}\x1fvalue `)} || to_json(${v}) || ${sqlString(` in numeric column ${col.name} is not a number`)}`,
        );
        return `TRY_CAST(${v} AS DOUBLE)`;
      }
      if (col.kind === 'list') return `list_filter(string_split(${v}, ${sqlString(listSeparator(options.columns?.[col.name]) as string)}), x -> x <> '')`;
      return v;
    },
    () => `CASE WHEN st = 2 THEN ${sqlString('\x1fline is not a valid JSON object')} ${checks.join(' ')} END`,
  );
  const extract = scalarIdx.size > 0 ? `CASE WHEN st = 1 THEN json_extract_string(l, [${scalarPaths}]) END AS v` : 'NULL AS v';
  const sql = (extra: string): string =>
    `WITH raw AS (SELECT l, CASE WHEN json_valid(l) AND json_type(l) = 'OBJECT' THEN 1 ELSE 2 END AS st FROM ${linesOf(extra)} WHERE l IS NOT NULL), ` +
    `vals AS (SELECT st, ${extract}${listExprs.join('')} FROM raw) ` +
    scanSql('vals');
  const scan = textScan({
    file,
    wording: { format: 'jsonl', delimiter: '\n', encoding: 'utf-8' },
    dialect: { quote: '', escape: '', delimiter: '\x1f' },
    firstRow: 1,
    scanSql: sql,
    checkSql: (extra) => `SELECT count(*), count(l) FROM ${linesOf(extra)}`,
    readFix: 'check that the file is UTF-8 JSON lines',
  });
  return {
    file,
    format: 'jsonl',
    schema,
    layout,
    rowFix: "correct the line (one JSON object per line, numbers as numbers, lists as arrays), or read with onBadRow: 'skip'",
    prepare: (c, policy) => scan.prepare(c, policy),
  };
}

function parseStructure(s: unknown): Record<string, unknown> {
  if (typeof s !== 'string') return {};
  const parsed = JSON.parse(s) as unknown;
  return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
}

const NUMERIC_TYPES = new Set(['TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'HUGEINT', 'UTINYINT', 'USMALLINT', 'UINTEGER', 'UBIGINT', 'UHUGEINT', 'FLOAT', 'DOUBLE']);

function kindOfStructure(t: unknown): ColumnKind {
  if (Array.isArray(t)) return 'list';
  if (typeof t === 'string' && NUMERIC_TYPES.has(t)) return 'numeric';
  return 'categorical';
}

