import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { queryRows, sqlString, withConnection } from '../../src/data/duckdb.js';
import { assembleParts } from '../../src/score/assemble.js';

// The output is the parts concatenated in the order given, rows in order within each: checked on parts of many
// small row groups (DuckDB reads them on several threads), given out of their row-id order.

const dir = mkdtempSync(join(tmpdir(), 'wd-assemble-'));

describe('assembleParts', () => {
  it('keeps the order of the part list and of the rows in each part, across many row groups', async () => {
    // Part k holds ids k*N .. (k+1)*N-1 in descending order, so that neither a sort by id nor any other order passes.
    const N = 60_000;
    const parts = [2, 0, 3, 1].map((k) => join(dir, `part-${k}.parquet`));
    await withConnection(async (con) => {
      for (const [i, path] of parts.entries()) {
        const k = [2, 0, 3, 1][i] as number;
        await con.run(`COPY (SELECT ${(k + 1) * N - 1} - i AS row_id, CAST(i AS FLOAT) AS prediction FROM range(${N}) t(i)) TO ${sqlString(path)} (FORMAT parquet, ROW_GROUP_SIZE 2048)`);
      }
    });
    const out = join(dir, 'out.parquet');
    await assembleParts(parts, out);
    const rows = await withConnection((con) => queryRows(con, `SELECT row_id FROM read_parquet(${sqlString(out)})`));
    const expected = [2, 0, 3, 1].flatMap((k) => Array.from({ length: N }, (_, i) => (k + 1) * N - 1 - i));
    expect(rows.map((r) => Number(r['row_id']))).toEqual(expected);
  });

  it('leaves an existing output as it was, and no temp file, when a part is missing', async () => {
    const out = join(dir, 'keep.parquet');
    writeFileSync(out, 'earlier output');
    await expect(assembleParts([join(dir, 'part-0.parquet'), join(dir, 'missing.parquet')], out)).rejects.toThrow(/cannot write the output/);
    expect(readFileSync(out, 'utf8')).toBe('earlier output');
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });
});
