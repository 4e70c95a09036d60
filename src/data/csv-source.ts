import { stat } from 'node:fs/promises';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { ColumnKind, ColumnSchema } from './types.js';
import type { ReadOptions } from './options.js';
import type { BadRow, ScanSetup, Source } from './source.js';
import { WideDeepError } from '../core/errors.js';
import { configError, dataError } from './data-errors.js';
import { queryRows, sqlIdent, sqlString, sqlStringList, tempName, withConnection } from './duckdb.js';
import { buildScan } from './decode.js';
import { scanBlankRecords } from './line-scan.js';
import { buildSchema, columnsToInfer, listSeparator, selectedColumns } from './schema.js';
import { detectDelimiter, readHeadText, splitFields, splitRecords } from './text-head.js';
import { DEFAULT_INFER_ROWS } from './options.js';

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
  const toInfer = columnsToInfer(selected, options);
  const inferred = toInfer.length > 0 ? await inferKinds(con, options.path, dialect, names, toInfer, options.inferRows ?? DEFAULT_INFER_ROWS) : new Map<string, ColumnKind>();
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

/**
 * The scan of a planned CSV file. Under 'error', DuckDB stops at the first malformed row and `diagnose` finds
 * it in a reject table; under 'skip', a first pass collects the rejected rows (so good rows keep their
 * numbers) and the scan ignores them.
 */
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
  // count(column) makes DuckDB convert every selected column, so the first pass rejects what the scan would.
  const checkSql = (extra: string): string => `SELECT ${schema.map((c) => `count(${sqlIdent(c.name)})`).join(', ')} FROM ${source(extra)}`;
  const firstRow = d.skipLines + (d.header ? 1 : 0) + 1;
  let blanks: Promise<number[]> | undefined;
  const blankRecords = (): Promise<number[]> => {
    // utf-16 and other compressions are not scanned at byte level: rows after a blank line are then numbered
    // as if the blank line were not there.
    const scannable = d.encoding !== 'utf-16' && !/\.(zst|bz2|xz)$/i.test(file);
    blanks ??= scannable ? scanBlankRecords(file, d.quote, d.escape).then((s) => s.blanks) : Promise.resolve([]);
    return blanks;
  };
  let rejectsPass: Promise<{ row: number; problem: RowProblemFix }[]> | undefined;
  const diagnose = async (error: unknown): Promise<WideDeepError> => {
    if (error instanceof WideDeepError) return error;
    const rejects = await withConnection((c) => readRejects(c, checkSql, d)).catch(() => []);
    const first = rejects[0];
    if (first !== undefined) {
      const { field, reason, fix } = first.problem;
      return dataError(reason, { file, row: first.row, ...(field !== undefined ? { field } : {}), fix }, error);
    }
    return dataError(`DuckDB could not read the file: ${errorText(error)}`, { file, fix: 'check the delimiter, quote, escape and encoding options' }, error);
  };
  return {
    file,
    format: 'csv',
    schema,
    layout,
    rowFix: "write missing values as an empty field (or one of nullValues), correct the value, or read with onBadRow: 'skip'",
    async prepare(c, policy): Promise<ScanSetup> {
      const blankRows = await blankRecords();
      if (policy === 'error') return { sql: scanSql(source('')), firstRow, excludedRows: blankRows, rejected: [], diagnose };
      // The first pass runs once per reader; later scans (epochs) reuse its rejected rows.
      rejectsPass ??= readRejects(c, checkSql, d);
      const rejects = await rejectsPass.catch(async (e: unknown) => {
        rejectsPass = undefined;
        throw await diagnose(e);
      });
      const rejected: BadRow[] = rejects.map((r) => ({ row: r.row, reason: r.problem.reason, ...(r.problem.field !== undefined ? { field: r.problem.field } : {}) }));
      const excludedRows = mergeSorted(blankRows, rejects.map((r) => r.row));
      return { sql: scanSql(source(', ignore_errors=true')), firstRow, excludedRows, rejected, diagnose };
    },
  };
}

/** Runs the check pass with DuckDB's reject table and returns one problem per rejected row, in row order. */
async function readRejects(c: DuckDBConnection, checkSql: (extra: string) => string, d: CsvDialect): Promise<{ row: number; problem: RowProblemFix }[]> {
  const table = tempName('wd_rejects');
  const scan = tempName('wd_scans');
  await c.run(checkSql(`, store_rejects=true, rejects_table=${sqlString(table)}, rejects_scan=${sqlString(scan)}`));
  const rows = await queryRows(c, `SELECT line, error_type, column_name, error_message FROM ${sqlIdent(table)} ORDER BY line`);
  await c.run(`DROP TABLE IF EXISTS ${sqlIdent(table)}; DROP TABLE IF EXISTS ${sqlIdent(scan)}`);
  const out: { row: number; problem: RowProblemFix }[] = [];
  for (const r of rows) {
    const row = Number(r['line']);
    if (out[out.length - 1]?.row === row) continue;
    out.push({ row, problem: rejectProblem(r, d) });
  }
  return out;
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

interface RowProblemFix {
  readonly field?: string;
  readonly reason: string;
  readonly fix: string;
}

const SKIP_FIX = "or read with onBadRow: 'skip'";

/** Turns one row of DuckDB's reject table into a readable reason and fix. */
function rejectProblem(r: Record<string, unknown>, d: CsvDialect): RowProblemFix {
  const type = String(r['error_type']);
  const message = String(r['error_message']);
  const column = r['column_name'] === null || r['column_name'] === undefined ? undefined : String(r['column_name']);
  const at = column !== undefined ? { field: column } : {};
  if (type === 'TOO MANY COLUMNS' || type === 'MISSING COLUMNS') {
    const m = /Expected Number of Columns: (\d+) Found: (\d+)/.exec(message);
    const reason = m !== null ? `wrong number of fields: expected ${m[1]}, got ${m[2]}` : message;
    return { reason, fix: `give every row ${m?.[1] ?? 'the same number of'} fields separated by ${JSON.stringify(d.delimiter)} (check quoting), ${SKIP_FIX}` };
  }
  if (type === 'CAST') {
    const m = /Could not convert string "([\s\S]*)" to/.exec(message);
    const value = m?.[1] ?? '?';
    return {
      ...at,
      reason: `value ${JSON.stringify(value)} in numeric column ${column ?? '?'} is not a number`,
      fix: `correct the value, mark it missing (nullValues), declare the column categorical (columns: { ${column ?? 'name'}: 'categorical' }), ${SKIP_FIX}`,
    };
  }
  if (type.includes('ENCODING') || type.includes('UNICODE')) {
    return { ...at, reason: `bytes that are not valid ${d.encoding}`, fix: `pass the file's encoding (e.g. encoding: 'latin-1'), ${SKIP_FIX}` };
  }
  if (type === 'UNQUOTED VALUE') {
    return { ...at, reason: 'a quoted value is not closed or has text after its closing quote', fix: `check the quote and escape options, ${SKIP_FIX}` };
  }
  return { ...at, reason: message, fix: `correct the row, ${SKIP_FIX}` };
}

function mergeSorted(a: readonly number[], b: readonly number[]): number[] {
  return [...new Set([...a, ...b])].sort((x, y) => x - y);
}

export function errorText(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return (msg.split('\n')[0] ?? msg).slice(0, 300);
}

