import { rename, rm } from 'node:fs/promises';
import { BIGINT, DOUBLE, DuckDBDataChunk, FLOAT, LIST, listValue, VARCHAR, type DuckDBAppender, type DuckDBConnection, type DuckDBType } from '@duckdb/node-api';
import type { ColumnKind, ColumnValues } from '../data/index.js';
import { WideDeepError } from '../core/errors.js';
import { duckdbInstance, sqlIdent, sqlString, tempName } from '../data/duckdb.js';
import { entryAt } from '../data/chunk.js';

/** One column of a part file besides row_id: a prediction output (FLOAT) or a kept input column. */
export interface PartColumn {
  readonly name: string;
  readonly kind: 'prediction' | ColumnKind;
}

/** Rows scored together: their row ids, the model's outputs (row-major, `outputs` per row) and the kept values. */
export interface PartRows {
  readonly rowIds: Float64Array;
  readonly prediction: Float32Array;
  /** Values of the kept columns, for exactly these rows, in `PartColumn` order after the predictions. */
  readonly kept: readonly ColumnValues[];
}

/** DuckDB's data chunks hold at most this many rows (its vector size). */
const CHUNK_ROWS = 2048;

const typeOf = (kind: PartColumn['kind']): DuckDBType => (kind === 'prediction' ? FLOAT : kind === 'numeric' ? DOUBLE : kind === 'categorical' ? VARCHAR : LIST(VARCHAR));

/**
 * Writes one part file: rows are appended to a DuckDB table (DuckDB's buffer manager holds them, within its
 * memory_limit), then copied to Parquet beside the part's path and renamed into place, so a part file is either
 * complete or absent. Only the outputs and the kept columns are held, never the range's input rows.
 */
export class PartWriter {
  private rows = 0;
  private closed = false;
  private appending = true;

  private constructor(
    private readonly con: DuckDBConnection,
    private readonly appender: DuckDBAppender,
    private readonly table: string,
    private readonly columns: readonly PartColumn[],
    private readonly path: string,
  ) {}

  static async open(path: string, columns: readonly PartColumn[]): Promise<PartWriter> {
    const con = await (await duckdbInstance()).connect();
    const table = tempName('score_part');
    try {
      const defs = [`row_id BIGINT`, ...columns.map((c) => `${sqlIdent(c.name)} ${typeOf(c.kind).toString()}`)];
      await con.run(`CREATE TEMP TABLE ${table} (${defs.join(', ')})`);
      return new PartWriter(con, await con.createAppender(table, 'main', 'temp'), table, columns, path);
    } catch (e) {
      con.closeSync();
      throw e;
    }
  }

  get rowsWritten(): number {
    return this.rows;
  }

  /** Appends rows (any number: cut into DuckDB's chunk size here). */
  append(r: PartRows): void {
    const n = r.rowIds.length;
    for (let start = 0; start < n; start += CHUNK_ROWS) this.appendChunk(r, start, Math.min(n, start + CHUNK_ROWS));
    this.rows += n;
  }

  private appendChunk(r: PartRows, start: number, end: number): void {
    const n = end - start;
    const types = [BIGINT, ...this.columns.map((c) => typeOf(c.kind))];
    const chunk = DuckDBDataChunk.create(types, n);
    const ids = chunk.getColumnVector(0);
    for (let i = 0; i < n; i++) ids.setItem(i, BigInt(r.rowIds[start + i] as number));
    ids.flush();
    const outputs = this.columns.filter((c) => c.kind === 'prediction').length;
    this.columns.forEach((c, k) => {
      const v = chunk.getColumnVector(k + 1);
      if (c.kind === 'prediction') for (let i = 0; i < n; i++) v.setItem(i, r.prediction[(start + i) * outputs + k] as number);
      else {
        const values = r.kept[k - outputs] as ColumnValues;
        for (let i = 0; i < n; i++) v.setItem(i, keptValue(values, start + i));
      }
      v.flush();
    });
    this.appender.appendDataChunk(chunk);
  }

  /** Writes the part file (atomically) and frees the table. */
  async finish(): Promise<void> {
    const temp = `${this.path}.tmp`;
    try {
      this.closeAppender();
      await this.con.run(`COPY ${this.table} TO ${sqlString(temp)} (FORMAT parquet)`);
      await rename(temp, this.path);
    } catch (e) {
      await rm(temp, { force: true });
      throw new WideDeepError('IO', `cannot write the part file: ${e instanceof Error ? e.message : String(e)}`, { file: this.path, fix: 'check that the output directory is writable and has room' }, { cause: e });
    } finally {
      await this.close();
    }
  }

  private closeAppender(): void {
    if (!this.appending) return;
    this.appending = false;
    this.appender.closeSync();
  }

  /** Drops the table without writing (a failed range). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.closeAppender();
    await this.con.run(`DROP TABLE IF EXISTS ${this.table}`).finally(() => this.con.closeSync());
  }
}

function keptValue(values: ColumnValues, i: number): number | string | ReturnType<typeof listValue> | null {
  const v = entryAt(values, i);
  if (v === undefined || v === null) return null;
  if (typeof v === 'number') return Number.isNaN(v) ? null : v;
  if (typeof v === 'string') return v;
  return listValue([...v]);
}
