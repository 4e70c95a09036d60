import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openTable } from '../../src/data/index.js';
import { openRangeFile } from '../../src/score/range-file.js';
import type { ScoreRangeJob } from '../../src/score/range-job.js';
import { cutTextFile } from '../../src/score/text-cuts.js';

// The cuts of a text file fall on record starts as the reader numbers records: quoted fields with newlines,
// CRLF line ends, blank lines and a last line without newline. Checked against the reader itself: each range,
// copied out as a range job does (range-file.ts) and read, gives the whole file's rows from its `rowsBefore` on,
// with the whole file's row numbers once shifted.

const dir = mkdtempSync(join(tmpdir(), 'wd-cuts-'));

/** A CSV of `n` rows, id i in column a; some rows have a quoted field with a newline, some blank lines between rows. */
function csv(n: number, eol: string): string {
  const lines = ['a,b,c'];
  for (let i = 0; i < n; i++) {
    const b = i % 7 === 3 ? `"x${eol}y, ""q"""` : `v${i}`;
    lines.push(`${i},${b},${i % 5}`);
    if (i % 11 === 5) lines.push('');
  }
  return lines.join(eol) + (n % 2 === 0 ? eol : '');
}

async function checkCuts(path: string, align: number, rangeBytes: number): Promise<number> {
  const cuts = await cutTextFile(path, { quote: '"', escape: '"', delimiter: ',', headRecords: 1, rangeBytes, alignRows: align });
  const columns = { a: 'numeric', b: 'categorical', c: 'numeric' } as const;
  const read = await (await openTable({ path, columns })).readAll();
  const ids = read.columns.get('a') as Float64Array;
  expect(cuts.ranges[0]?.start).toBe(cuts.headBytes);
  expect(cuts.ranges.at(-1)?.end).toBe(cuts.bytes);
  for (const [k, r] of cuts.ranges.entries()) {
    expect(r.rowsBefore % align).toBe(0);
    if (k > 0) expect(r.start).toBe(cuts.ranges[k - 1]?.end);
    expect(ids[r.rowsBefore]).toBe(r.rowsBefore);
    const range = { kind: 'bytes', headBytes: cuts.headBytes, dataFirstRecord: cuts.dataFirstRecord, ...r } as const;
    const file = await openRangeFile({ index: k, tempDir: dir, input: { path }, range } as unknown as ScoreRangeJob);
    try {
      const part = await (await openTable({ path: file.path, columns })).readAll();
      const end = cuts.ranges[k + 1]?.rowsBefore ?? read.numRows;
      expect(Array.from(part.columns.get('a') as Float64Array)).toEqual(Array.from(ids.subarray(r.rowsBefore, end)));
      expect(Array.from(part.rowNumbers, (n) => n + file.rowShift)).toEqual(Array.from(read.rowNumbers.subarray(r.rowsBefore, end)));
    } finally {
      await file.remove();
    }
  }
  return cuts.ranges.length;
}

describe('cutTextFile', () => {
  it('cuts at record starts the reader agrees with, on a multiple of the batch, LF and CRLF', async () => {
    for (const eol of ['\n', '\r\n']) {
      const path = join(dir, `cuts-${eol.length}.csv`);
      writeFileSync(path, csv(1001, eol));
      expect(await checkCuts(path, 16, 512)).toBeGreaterThan(10);
      expect(await checkCuts(path, 1, 100)).toBeGreaterThan(50);
      expect(await checkCuts(path, 64, 1 << 30)).toBe(1);
    }
  });

  it('keeps a tail of blank lines with the range before it, and gives a file of only a header one range', async () => {
    const path = join(dir, 'tail.csv');
    writeFileSync(path, `a,b\n1,2\n3,4\n${'\n'.repeat(200)}`);
    const cuts = await cutTextFile(path, { quote: '"', escape: '"', delimiter: ',', headRecords: 1, rangeBytes: 4, alignRows: 1 });
    expect(cuts.ranges.map((r) => r.rowsBefore)).toEqual([0, 1]);
    expect(cuts.ranges.at(-1)?.end).toBe(cuts.bytes);
    const head = join(dir, 'head.csv');
    writeFileSync(head, 'a,b\n');
    const only = await cutTextFile(head, { quote: '"', escape: '"', delimiter: ',', headRecords: 1, rangeBytes: 1, alignRows: 1 });
    expect(only.ranges).toEqual([{ start: 4, end: 4, firstRecord: 2, rowsBefore: 0 }]);
  });
});
