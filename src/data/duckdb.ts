import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';

/**
 * The one embedded DuckDB instance of the process (in-memory, no server), created on first use. Every scan
 * opens its own connection, so readers can run side by side and a closed connection drops its temp tables.
 */
let instance: Promise<DuckDBInstance> | undefined;

export function duckdbInstance(): Promise<DuckDBInstance> {
  instance ??= DuckDBInstance.create(':memory:');
  return instance;
}

/** Runs `fn` on a fresh connection and closes the connection afterwards. */
export async function withConnection<T>(fn: (con: DuckDBConnection) => Promise<T>): Promise<T> {
  const con = await (await duckdbInstance()).connect();
  try {
    return await fn(con);
  } finally {
    con.closeSync();
  }
}

/** Runs a query with a small result and returns its rows as plain JS objects (BIGINT becomes bigint). */
export async function queryRows(con: DuckDBConnection, sql: string): Promise<Record<string, unknown>[]> {
  const reader = await con.runAndReadAll(sql);
  return reader.getRowObjectsJS() as Record<string, unknown>[];
}

/** A SQL string literal. */
export function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

/** A SQL identifier. */
export function sqlIdent(s: string): string {
  return `"${s.replaceAll('"', '""')}"`;
}

/** A SQL list literal of strings. */
export function sqlStringList(items: readonly string[]): string {
  return `[${items.map(sqlString).join(', ')}]`;
}

let tempCounter = 0;

/** A unique name for a temp table (reject tables of concurrent scans must not collide). */
export function tempName(prefix: string): string {
  tempCounter += 1;
  return `${prefix}_${process.pid}_${tempCounter}`;
}
