import { stat } from 'node:fs/promises';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { ColumnKind, ColumnSchema } from './types.js';
import type { ReadOptions } from './options.js';
import type { Source } from './source.js';
import { WideDeepError } from '../core/errors.js';
import { configError, dataError, errorText } from './data-errors.js';
import { queryRows, sqlIdent, sqlString, sqlStringList } from './duckdb.js';
import { buildScan } from './decode.js';
import { buildSchema, columnsToInfer, listSeparator, selectedColumns } from './schema.js';
import { detectDelimiter, readHeadText, splitFields, splitRecords } from './text-head.js';
import { DEFAULT_INFER_ROWS } from './options.js';
import { textScan } from './text-scan.js';

interface CsvDialect {
  readonly delimiter: string;
  readonly header: boolean;
  readonly quote: string;
  readonly escape: string;
  readonly nullValues: readonly string[];
  readonly encoding: 'utf-8' | 'latin-1' | 'utf-16';
  readonly skipLines: number;
}

/** Plans a CSV/TSV read: dialect, column names (header or given), kinds (override or inferred by DuckDB). */
export async function planCsv(con: DuckDBConnection, options: ReadOptions): Promise<Source> {
  const { dialect, names } = await readDialect(options);
  const selected = selectedColumns(names, options);
  // Columns a feature spec reads as strings keep their text ("02139"); the others are inferred.
  const asText = new Set(options.stringColumns ?? []);
  const toInfer = columnsToInfer(selected, options).filter((name) => !asText.has(name));
  const inferred = toInfer.length > 0 ? await inferKinds(con, options.path, dialect, names, toInfer, options.inferRows ?? DEFAULT_INFER_ROWS) : new Map<string, ColumnKind>();
  for (const name of columnsToInfer(selected, options)) if (asText.has(name)) inferred.set(name, 'categorical');
  const schema = buildSchema(selected, options, inferred);
  for (const col of schema) {
    if (col.kind === 'list' && listSeparator(options.columns?.[col.name]) === undefined) {
      throw configError(`list column ${col.name} needs a separator in a CSV file`, {
        file: options.path,
        field: `columns.${col.name}`,
        fix: `write columns: { ${col.name}: { kind: 'list', separator: '|' } } with the separator used inside the field`,
      });
    }
  }
  return csvSource(options, dialect, names, schema);
}

/** The dialect (options, else defaults and detection) and the column names, from the head of the file. */
async function readDialect(options: ReadOptions): Promise<{ dialect: CsvDialect; names: string[] }> {
  const file = options.path;
  await checkNonEmpty(file);
  const quote = options.quote ?? '"';
  const escape = options.escape ?? quote;
  const encoding = options.encoding ?? 'utf-8';
  const skipLines = options.skipLines ?? 0;
  const head = await readHeadText(file, encoding);
  const records = splitRecords(head.text, quote, escape, skipLines + 21, head.complete).slice(skipLines);
  const firstRecord = records[0];
  if (firstRecord === undefined || records.every((r) => r.trim() === '')) {
    throw dataError('file is empty (no header and no rows)', { file, fix: 'check the path, or the skipLines option' });
  }
  // No consistent candidate: ',' (a one-column file reads fine; a wrong guess fails at the first row whose
  // field count differs, and that message names the delimiter).
  const delimiter = options.delimiter ?? delimiterFromPath(file) ?? detectDelimiter(records, quote, escape) ?? ',';
  const header = options.header ?? options.columnNames === undefined;
  const dialect: CsvDialect = { delimiter, header, quote, escape, nullValues: options.nullValues ?? [''], encoding, skipLines };
  return { dialect, names: columnNamesOf(splitFields(firstRecord, delimiter, quote, escape), dialect, options) };
}

/** The scan of a planned CSV file (row numbers, rejected rows and the row count: text-scan.ts). */
function csvSource(options: ReadOptions, d: CsvDialect, names: readonly string[], schema: readonly ColumnSchema[]): Source {
  const file = options.path;
  const kindOf = new Map(schema.map((c) => [c.name, c.kind]));
  const typed = `{${names.map((n) => `${sqlString(n)}: '${kindOf.get(n) === 'numeric' ? 'DOUBLE' : 'VARCHAR'}'`).join(', ')}}`;
  const { sql: scanSql, layout } = buildScan(schema, (col) => {
    const id = sqlIdent(col.name);
    if (col.kind !== 'list') return id;
    const sep = listSeparator(options.columns?.[col.name]) as string;
    return `list_filter(string_split(${id}, ${sqlString(sep)}), x -> x <> '')`;
  });
  const source = (extra: string): string => `read_csv(${sqlString(file)}, ${dialectSql(d)}, columns=${typed}${extra})`;
  const scan = textScan({
    file,
    wording: { format: 'csv', delimiter: d.delimiter, encoding: d.encoding },
    dialect: d,
    firstRow: d.skipLines + (d.header ? 1 : 0) + 1,
    scanSql: (extra) => scanSql(source(extra)),
    // count(column) makes DuckDB convert every selected column, so the check pass rejects what the scan would.
    checkSql: (extra) => `SELECT count(*), ${schema.map((c) => `count(${sqlIdent(c.name)})`).join(', ')} FROM ${source(extra)}`,
    readFix: 'check the delimiter, quote, escape and encoding options',
  });
  return {
    file,
    format: 'csv',
    schema,
    layout,
    rowFix: "write missing values as an empty field (or one of nullValues), correct the value, or read with onBadRow: 'skip'",
    prepare: (c, policy) => scan.prepare(c, policy),
  };
}

async function checkNonEmpty(file: string): Promise<void> {
  const info = await stat(file).catch((e: unknown) => {
    throw new WideDeepError('IO', `cannot read file: ${errorText(e)}`, { file, fix: 'check the path (relative paths are resolved against the current directory)' }, { cause: e });
  });
  if (info.size === 0) throw dataError('file is empty (0 bytes)', { file, fix: 'check the path, or download the file again' });
}

function delimiterFromPath(file: string): string | undefined {
  const p = file.toLowerCase().replace(/\.gz$/, '');
  if (p.endsWith('.csv')) return ',';
  if (p.endsWith('.tsv') || p.endsWith('.tab')) return '\t';
  return undefined;
}

function columnNamesOf(fields: string[], d: CsvDialect, options: ReadOptions): string[] {
  const file = options.path;
  if (options.columnNames !== undefined) {
    if (options.columnNames.length !== fields.length) {
      throw configError(`columnNames has ${options.columnNames.length} names but the file has ${fields.length} fields per row`, {
        file,
        row: d.skipLines + 1,
        field: 'columnNames',
        fix: `give one name per field, or check the delimiter (${JSON.stringify(d.delimiter)})`,
      });
    }
    return [...options.columnNames];
  }
  if (!d.header) return fields.map((_, i) => `column${i + 1}`);
  const names = fields.map((f, i) => (f.trim() === '' ? `column${i + 1}` : f.trim()));
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) {
    throw dataError(`header names column ${dup} twice`, { file, row: d.skipLines + 1, field: dup, fix: 'rename it in the file, or pass columnNames' });
  }
  return names;
}

function dialectSql(d: CsvDialect): string {
  return [
    `header=${d.header}`,
    `skip=${d.skipLines}`,
    `delim=${sqlString(d.delimiter)}`,
    `quote=${sqlString(d.quote)}`,
    `escape=${sqlString(d.escape)}`,
    `nullstr=${sqlStringList(d.nullValues.length > 0 ? d.nullValues : ['\u0000'])}`,
    `encoding=${sqlString(d.encoding)}`,
    'auto_detect=false',
  ].join(', ');
}

/** A column is numeric when it has a value in the sample and every sampled value parses as a number. */
async function inferKinds(
  con: DuckDBConnection,
  file: string,
  d: CsvDialect,
  names: readonly string[],
  toInfer: readonly string[],
  sampleRows: number,
): Promise<Map<string, ColumnKind>> {
  const varchar = `{${names.map((n) => `${sqlString(n)}: 'VARCHAR'`).join(', ')}}`;
  const stats = toInfer.map((n, i) => `count(${sqlIdent(n)}) AS n${i}, count(TRY_CAST(${sqlIdent(n)} AS DOUBLE)) AS d${i}`).join(', ');
  const sql = `SELECT ${stats} FROM (SELECT * FROM read_csv(${sqlString(file)}, ${dialectSql(d)}, columns=${varchar}, ignore_errors=true) LIMIT ${sampleRows})`;
  const rows = await queryRows(con, sql).catch((e: unknown) => {
    throw dataError(`DuckDB could not read the file: ${errorText(e)}`, { file, fix: 'check the delimiter, quote, escape and encoding options' }, e);
  });
  const r = rows[0] ?? {};
  return new Map(
    toInfer.map((name, i): [string, ColumnKind] => {
      const n = Number(r[`n${i}`] ?? 0);
      const numeric = n > 0 && Number(r[`d${i}`] ?? 0) === n;
      return [name, numeric ? 'numeric' : 'categorical'];
    }),
  );
}
