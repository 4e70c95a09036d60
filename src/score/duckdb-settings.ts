import { withConnection } from '../data/duckdb.js';

/**
 * DuckDB's memory limit (MiB) and thread count for this thread's DuckDB instance (instance-wide settings:
 * each worker thread and each queue worker process has an instance of its own). Nothing is set for an
 * undefined value, so DuckDB's defaults (80% of RAM, every core) stand.
 */
export async function applyDuckdbSettings(memoryMb: number | undefined, threads: number | undefined): Promise<void> {
  const sets = [...(memoryMb !== undefined ? [`SET memory_limit='${memoryMb}MB'`] : []), ...(threads !== undefined ? [`SET threads=${threads}`] : [])];
  if (sets.length > 0) await withConnection(async (con) => void (await con.run(sets.join('; '))));
}
