import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { jsonLines, runMain } from '../helpers/cli.js';
import { cliArgs } from '../helpers/cli-process.js';
import { parquetRows, predictLines, scoreFixture, type ScoreFixture } from './fixture.js';

// `widedeep score` (issue 18, part 2): the output equals `predict` row for row, bit for bit, in input order,
// with row ids; ranges are smaller than the file (--ranges, a batch of 64 rows to align them on); bad rows
// follow the reader's policy; a failed run leaves no output and no work files.

const BATCH = ['--batch-size', '64', '--threads', '1'];

type Done = { rowsScored: number; rowsSkipped: number; ranges: number; sameBatchesAsPredict: boolean; skipped: { row: number; rowId: number; reason?: string }[] };

async function score(args: readonly string[]): Promise<{ code: number; done: Done | undefined; stderr: string }> {
  const r = await runMain(['score', ...BATCH, '--json', ...args]);
  return { code: r.code, done: jsonLines(r.stdout).find((l) => l.event === 'done') as Done | undefined, stderr: r.stderr };
}

/** Checks `out` against predict's lines: same rows, in order, row_id = predict's row - firstRow, equal float32 predictions. */
async function expectSameAsPredict(out: string, lines: readonly { row: number; prediction: number }[], firstRow: number): Promise<Record<string, unknown>[]> {
  const rows = await parquetRows(out);
  expect(rows.length).toBe(lines.length);
  expect(rows.map((r) => r.row_id)).toEqual(lines.map((l) => l.row - firstRow));
  expect(rows.map((r) => r.prediction)).toEqual(lines.map((l) => l.prediction));
  return rows;
}

const leftovers = (dir: string): string[] => readdirSync(dir).filter((f) => f.includes('.parts-') || f.includes('.tmp-'));

describe('widedeep score', () => {
  let fx: ScoreFixture;
  beforeAll(async () => {
    fx = await scoreFixture(3000);
  }, 120_000);

  it('scores a CSV in ranges with 1 and 3 workers exactly as predict does, in input order, row ids 0..n-1', async () => {
    const lines = await predictLines(['--model', fx.model, '--input', fx.csv, ...BATCH]);
    for (const workers of ['1', '3']) {
      const out = join(fx.dir, `csv-${workers}.parquet`);
      const r = await score(['--model', fx.model, '--input', fx.csv, '--out', out, '--ranges', '5', '--workers', workers]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.done?.ranges).toBeGreaterThanOrEqual(4);
      expect(r.done?.rowsScored).toBe(fx.rows);
      expect(r.done?.sameBatchesAsPredict).toBe(true);
      const rows = await expectSameAsPredict(out, lines, 2);
      expect(rows.map((x) => x.row_id)).toEqual(Array.from({ length: fx.rows }, (_, i) => i));
    }
    expect(leftovers(fx.dir)).toEqual([]);
  }, 180_000);

  it('scores Parquet by row groups with 3 workers as predict does, carrying --keep columns through', async () => {
    const lines = await predictLines(['--model', fx.model, '--input', fx.parquet, ...BATCH]);
    const out = join(fx.dir, 'pq.parquet');
    const r = await score(['--model', fx.model, '--input', fx.parquet, '--out', out, '--ranges', '4', '--workers', '3', '--keep', 'user_id,age']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.done?.ranges).toBeGreaterThanOrEqual(3);
    const rows = await expectSameAsPredict(out, lines, 1);
    const input = await parquetRows(fx.parquet);
    expect(rows.map((x) => [x.user_id, x.age])).toEqual(input.map((x) => [x.user_id, x.age]));
    expect(Object.keys(rows[0] as object)).toEqual(['row_id', 'prediction', 'user_id', 'age']);
  }, 180_000);

  it('scores JSON lines in ranges as predict does', async () => {
    const lines = await predictLines(['--model', fx.model, '--input', fx.jsonl, ...BATCH]);
    const out = join(fx.dir, 'jsonl.parquet');
    const r = await score(['--model', fx.model, '--input', fx.jsonl, '--out', out, '--ranges', '4']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.done?.ranges).toBeGreaterThanOrEqual(3);
    await expectSameAsPredict(out, lines, 1);
  }, 180_000);

  it('skips and counts bad rows in a later range under --on-bad-row skip, naming their rows as predict does', async () => {
    // Data rows 2800 and 2900 (lines 2802 and 2902) get an extra field: in the last of 5 ranges.
    const r = await skipRun([2802, 2902]);
    expect(r.done?.rowsSkipped).toBe(2);
    expect(r.done?.skipped.map((s) => [s.row, s.rowId])).toEqual([[2802, 2800], [2902, 2900]]);
    expect(r.stderr).toMatch(/skipped 2 bad rows in .*bad-2802\.csv \(first: row 2802: wrong number of fields/);
    expect(r.done?.sameBatchesAsPredict).toBe(true);
    await expectSameAsPredict(r.out, r.lines, 2);
  }, 180_000);

  it('says so when a row the reader skipped moves later ranges off predict\'s batches (values then equal to float32 rounding)', async () => {
    const r = await skipRun([302]);
    expect(r.done?.skipped.map((s) => s.row)).toEqual([302]);
    expect(r.done?.sameBatchesAsPredict).toBe(false);
    expect(r.stderr).toMatch(/warning.*predict's batch boundaries/);
    const rows = await parquetRows(r.out);
    expect(rows.map((x) => x.row_id)).toEqual(r.lines.map((l) => l.row - 2));
    rows.forEach((x, i) => expect(x.prediction as number).toBeCloseTo(r.lines[i]!.prediction, 6));
  }, 180_000);

  /** Scores (5 ranges, 3 workers) and predicts, under --on-bad-row skip, a copy of the CSV whose `bad` lines have an extra field. */
  async function skipRun(bad: readonly number[]) {
    const path = join(fx.dir, `bad-${bad[0]}.csv`);
    writeFileSync(path, `${fx.lines.map((l, i) => (bad.includes(i + 1) ? `${l},extra` : l)).join('\n')}\n`);
    const lines = await predictLines(['--model', fx.model, '--input', path, '--on-bad-row', 'skip', ...BATCH]);
    expect(lines.length).toBe(fx.rows - bad.length);
    const out = join(fx.dir, `skip-${bad[0]}.parquet`);
    const r = await score(['--model', fx.model, '--input', path, '--out', out, '--ranges', '5', '--workers', '3', '--on-bad-row', 'skip']);
    expect(r.code, r.stderr).toBe(0);
    return { ...r, out, lines };
  }

  it('fails on a bad row under the default policy, naming the input file and row, and leaves an existing output untouched', async () => {
    const path = join(fx.dir, 'bad-error.csv');
    writeFileSync(path, `${fx.lines.map((l, i) => (i + 1 === 2602 ? `${l},extra` : l)).join('\n')}\n`);
    const out = join(fx.dir, 'kept.parquet');
    writeFileSync(out, 'a good output from an earlier run');
    for (const workers of ['1', '3']) {
      const r = await score(['--model', fx.model, '--input', path, '--out', out, '--ranges', '5', '--workers', workers]);
      expect(r.code).toBe(2);
      const error = jsonLines(r.stderr).find((l) => l.event === 'error');
      expect(error).toMatchObject({ code: 'DATA', file: path, row: 2602 });
      expect(readFileSync(out, 'utf8')).toBe('a good output from an earlier run');
    }
    const fresh = join(fx.dir, 'never.parquet');
    const r = await score(['--model', fx.model, '--input', path, '--out', fresh, '--ranges', '5']);
    expect(r.code).toBe(2);
    expect(existsSync(fresh)).toBe(false);
    expect(leftovers(fx.dir)).toEqual([]);
  }, 180_000);

  it('stops on SIGINT, removing its work files and writing no output', async () => {
    const path = join(fx.dir, 'long.csv');
    writeFileSync(path, `${[fx.lines[0], ...Array.from({ length: 100 }, () => fx.lines.slice(1)).flat()].join('\n')}\n`);
    const out = join(fx.dir, 'interrupted.parquet');
    const child = spawn(process.execPath, cliArgs(['score', '--model', fx.model, '--input', path, '--out', out, ...BATCH, '--ranges', '4', '--json']));
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let exited = false;
    const closed = new Promise<number | null>((ok) => child.on('close', (code) => ((exited = true), ok(code))));
    // The run is under way once its work directory exists (planned, its ranges about to run).
    while (!exited && !readdirSync(fx.dir).some((f) => f.startsWith('.interrupted.parquet.parts-'))) await new Promise((ok) => setTimeout(ok, 20));
    child.kill('SIGINT');
    expect(await closed, stderr).toBe(1);
    expect(stderr).toMatch(/stopped by a signal/);
    expect(existsSync(out)).toBe(false);
    expect(leftovers(fx.dir)).toEqual([]);
  }, 180_000);
});
