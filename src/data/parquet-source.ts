import { stat } from 'node:fs/promises';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { ColumnKind } from './types.js';
import type { ReadOptions } from './options.js';
import type { Source } from './source.js';
import { WideDeepError } from '../core/errors.js';
import { configError, dataError, errorText } from './data-errors.js';
import { queryRows, sqlIdent, sqlString } from './duckdb.js';
import { buildScan } from './decode.js';
import { buildSchema, columnsToInfer, listSeparator, selectedColumns } from './schema.js';

const NUMERIC = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL.*|BOOLEAN)$/;
const TEMPORAL = /^(DATE|TIMESTAMP.*)$/;
const LIST = /\[\d*\]$/;

/** Plans a Parquet read. Kinds follow the Parquet types (dates and timestamps become epoch seconds). */
export async function planParquet(con: DuckDBConnection, options: ReadOptions): Promise<Source> {
  const file = options.path;
  await stat(file).catch((e: unknown) => {
    throw new WideDeepError('IO', `cannot read file: ${errorText(e)}`, { file, fix: 'check the path' }, { cause: e });
  });
  const scan = `read_parquet(${sqlString(file)})`;
  const described = await queryRows(con, `DESCRIBE SELECT * FROM ${scan}`).catch((e: unknown) => {
    throw dataError(`not a readable Parquet file: ${errorText(e)}`, { file, fix: "check the path, or pass format: 'csv' / 'jsonl' for text files" }, e);
  });
  const types = new Map(described.map((r) => [String(r['column_name']), String(r['column_type'])]));
  const selected = selectedColumns([...types.keys()], options);
  const inferred = new Map(
    columnsToInfer(selected, options).map((name): [string, ColumnKind] => {
      const t = types.get(name) as string;
      return [name, LIST.test(t) ? 'list' : NUMERIC.test(t) || TEMPORAL.test(t) ? 'numeric' : 'categorical'];
    }),
  );
  const schema = buildSchema(selected, options, inferred);
  const checks: string[] = [];
  const { sql: scanSql, layout } = buildScan(
    schema,
    (col) => {
      const id = sqlIdent(col.name);
      const t = types.get(col.name) as string;
      if (col.kind === 'numeric') {
        if (NUMERIC.test(t)) return `CAST(${id} AS DOUBLE)`;
        if (TEMPORAL.test(t)) return `CAST(epoch(${id}) AS DOUBLE)`;
        const v = `CAST(${id} AS VARCHAR)`;
        checks.push(
          `WHEN ${v} IS NOT NULL AND TRY_CAST(${v} AS DOUBLE) IS NULL THEN ${sqlString(`${col.name}\x1fvalue `)} || to_json(${v}) || ${sqlString(` in numeric column ${col.name} is not a number`)}`,
        );
        return `TRY_CAST(${v} AS DOUBLE)`;
      }
      if (col.kind === 'list') {
        if (LIST.test(t)) return `list_transform(${id}, x -> CAST(x AS VARCHAR))`;
        const sep = listSeparator(options.columns?.[col.name]);
        if (sep === undefined) {
          throw configError(`column ${col.name} has Parquet type ${t}, not a list`, {
            file,
            field: `columns.${col.name}`,
            fix: `give the separator used inside the value: columns: { ${col.name}: { kind: 'list', separator: '|' } }`,
          });
        }
        return `list_filter(string_split(CAST(${id} AS VARCHAR), ${sqlString(sep)}), x -> x <> '')`;
      }
      return `CAST(${id} AS VARCHAR)`;
    },
    () => (checks.length > 0 ? `CASE ${checks.join(' ')} END` : undefined),
  );
  const sql = scanSql(scan);
  // The row count from the file's metadata, apart from the scan: what a complete scan reads or skips.
  const meta = await queryRows(con, `SELECT num_rows FROM parquet_file_metadata(${sqlString(file)})`);
  const expectedRows = Number(meta[0]?.['num_rows'] ?? 0);
  const diagnose = async (error: unknown): Promise<WideDeepError> =>
    error instanceof WideDeepError ? error : dataError(`DuckDB could not read the file: ${errorText(error)}`, { file, fix: 'check that the file is a complete Parquet file' }, error);
  return {
    file,
    format: 'parquet',
    schema,
    layout,
    rowFix: "correct the value, declare the column categorical, or read with onBadRow: 'skip'",
    prepare: () => Promise.resolve({ sql, firstRow: 1, excludedRows: [], rejected: [], expectedRows, diagnose, locate: () => Promise.resolve(undefined) }),
  };
}
