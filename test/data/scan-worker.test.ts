import { describe, expect, it } from 'vitest';
import { WideDeepError } from '../../src/core/errors.js';
import { openTable, type TableReader } from '../../src/data/reader.js';
import { rowObject } from '../../src/data/chunk.js';
import type { ReadOptions } from '../../src/data/options.js';
import { catchError, tempDir } from './helpers.js';
import { idleScanWorkers, setScanWorkerIdleMs } from '../../src/data/scan-pool.js';

const tmp = tempDir();

/** Every chunk of a scan as plain rows and row numbers, and the summary at the end. */
async function scan(reader: TableReader, worker: boolean, chunkSize: number): Promise<{ chunks: unknown[]; summary: unknown }> {
  const chunks: unknown[] = [];
  for await (const c of reader.chunks({ chunkSize, worker })) {
    chunks.push({ rows: Array.from({ length: c.numRows }, (_, i) => rowObject(c, i)), rowNumbers: [...c.rowNumbers], source: c.source });
  }
  return { chunks, summary: structuredClone(reader.summary) };
}

/** The error of a scan, or the scan if it does not fail. */
async function scanError(reader: TableReader, worker: boolean): Promise<WideDeepError> {
  return catchError(async () => {
    for await (const c of reader.chunks({ chunkSize: 4, worker })) void c;
  });
}

/** A CSV with NULLs, multi-byte strings, a list column, blank lines, and bad rows (wrong field count, not a number, inf). */
function messyCsv(): string {
  const lines = ['id,name,tags,score'];
  for (let i = 1; i <= 60; i++) {
    if (i % 17 === 0) lines.push(`${i},bad,x|y,not-a-number`);
    else if (i % 23 === 0) lines.push(`${i},too,many,fields,here`);
    else if (i % 29 === 0) lines.push(`${i},infinite,,inf`);
    else if (i % 13 === 0) lines.push('');
    else lines.push(`${i},${i % 5 === 0 ? '' : ['ann', 'zoë', '東京', 'a"b', 'émile-😀'][i % 5]},${i % 3 === 0 ? '' : `t${i % 4}|u${i % 7}`},${i % 4 === 0 ? '' : i / 8}`);
  }
  return `${lines.join('\n')}\n`;
}

const messyOptions = (path: string, onBadRow: 'skip' | 'error'): ReadOptions => ({
  path,
  onBadRow,
  columns: { id: 'numeric', name: 'categorical', tags: { kind: 'list', separator: '|' }, score: 'numeric' },
});

describe('scan worker (chunks({ worker: true }))', () => {
  it('gives the same chunks, row numbers, values and summary as the in-thread scan (CSV, skip)', async () => {
    const reader = await openTable(messyOptions(tmp.write('messy.csv', messyCsv()), 'skip'));
    for (const size of [1, 7, 8192]) {
      const inThread = await scan(reader, false, size);
      const worker = await scan(reader, true, size);
      expect(worker).toEqual(inThread);
    }
    const { summary } = await scan(reader, true, 5);
    // 3 non-numbers and 2 wrong field counts (rejected by DuckDB, before the scan), 2 inf (found while decoding).
    expect(summary).toMatchObject({ rowsSkipped: 7 });
  });

  it('gives the same chunks for JSON lines with list columns and bad lines (skip)', async () => {
    const lines = Array.from({ length: 40 }, (_, i) =>
      i % 11 === 5 ? '{not json' : i % 13 === 7 ? '' : JSON.stringify({ u: `user-${i % 3}-ü`, items: i % 4 === 0 ? null : ['a', `b${i}`, 'ç'], x: i % 6 === 0 ? null : i * 0.5 }),
    );
    const reader = await openTable({ path: tmp.write('events.jsonl', `${lines.join('\n')}\n`), onBadRow: 'skip' });
    expect(reader.schema.map((c) => c.kind)).toEqual(['categorical', 'list', 'numeric']);
    expect(await scan(reader, true, 6)).toEqual(await scan(reader, false, 6));
  });

  it('stops with the same WideDeepError (code, reason, details) under onBadRow: error', async () => {
    const reader = await openTable(messyOptions(tmp.write('messy-error.csv', messyCsv()), 'error'));
    const inThread = await scanError(reader, false);
    const worker = await scanError(reader, true);
    expect(worker).toBeInstanceOf(WideDeepError);
    expect({ code: worker.code, reason: worker.reason, details: worker.details, message: worker.message }).toEqual({
      code: inThread.code,
      reason: inThread.reason,
      details: inThread.details,
      message: inThread.message,
    });
    expect(worker.details.row).toBe(18);
    // That one was DuckDB's (diagnosed on this thread); this one is found while decoding, in the worker.
    const inf = await openTable({ path: tmp.write('inf.csv', 'a,b\n1,x\n2,y\ninf,z\n'), columns: { a: 'numeric' } });
    const [w, t] = [await scanError(inf, true), await scanError(inf, false)];
    expect([w.code, w.reason, w.details]).toEqual([t.code, t.reason, t.details]);
    expect(w.details.row).toBe(4);
  });

  it('reports a file with no data rows as the in-thread scan does', async () => {
    const reader = await openTable({ path: tmp.write('header-only.csv', 'a,b\n'), columns: { a: 'numeric', b: 'categorical' } });
    const [w, t] = [await scanError(reader, true), await scanError(reader, false)];
    expect(w.message).toBe(t.message);
  });

  it('leaving the loop early stops the scan and frees the worker for the next one', async () => {
    const body = Array.from({ length: 50_000 }, (_, i) => `${i},name-${i % 97}`).join('\n');
    const reader = await openTable({ path: tmp.write('long.csv', `k,v\n${body}\n`) });
    for (let round = 0; round < 3; round++) {
      let seen = 0;
      for await (const c of reader.chunks({ chunkSize: 1000, worker: true })) {
        seen += c.numRows;
        if (seen >= 2000) break;
      }
      expect(seen).toBe(2000);
    }
    // Two scans at the same time each get a worker; both read everything.
    const count = async (): Promise<number> => {
      let n = 0;
      for await (const c of reader.chunks({ chunkSize: 4096, worker: true })) n += c.numRows;
      return n;
    };
    expect(await Promise.all([count(), count()])).toEqual([50_000, 50_000]);
    expect(reader.summary.rowsRead).toBe(50_000);
  });

  it('a scan left suspended without return() does not keep the process alive', async () => {
    const reader = await openTable({ path: tmp.write('left.csv', `k\n${Array.from({ length: 5000 }, (_, i) => i).join('\n')}\n`) });
    const scan = reader.chunks({ chunkSize: 10, worker: true });
    expect((await scan.next()).value?.numRows).toBe(10);
    // Not returned on purpose: vitest exiting after this file is the check (the worker and its port are unref'd
    // while the generator waits at a yield).
  });

  it('ends a worker left idle past its time, and starts a fresh one for the next scan', async () => {
    const path = tmp.write('idle.csv', 'a,b\n1,x\n2,y\n');
    const before = setScanWorkerIdleMs(100);
    try {
      const reader = await openTable({ path });
      const first = await scan(reader, true, 1);
      expect(idleScanWorkers()).toBeGreaterThan(0);
      for (let t = 0; t < 50 && idleScanWorkers() > 0; t++) await new Promise((r) => setTimeout(r, 50));
      expect(idleScanWorkers()).toBe(0);
      expect(await scan(reader, true, 1)).toEqual(first);
    } finally {
      setScanWorkerIdleMs(before);
    }
  });

  it('rejects unknown chunks() options, listing worker among the valid ones', async () => {
    const reader = await openTable({ path: tmp.write('small.csv', 'a\n1\n') });
    await expect(reader.chunks({ workers: true } as never).next()).rejects.toThrow('valid options are: chunkSize, worker');
  });
});
