import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { WideDeepError } from '../../src/core/errors.js';
import { readBundle } from '../../src/artifact/bundle.js';
import { evaluate } from '../../src/cli/evaluate.js';
import { predict } from '../../src/cli/predict.js';
import { fitRun } from '../../src/train/pipeline.js';
import { parseRunConfig } from '../../src/train/run-config.js';
import { catchError } from '../data/helpers.js';
import { BAD_FORMATS, type BadFormat, TRUNCATING_KIND, rowOf, writeBadFile } from '../data/bad-files.js';
import { runCli } from '../helpers/cli.js';
import { writeConfig } from '../helpers/small-config.js';
import { fileConfig, tempDir } from './stream-fixtures.js';

/**
 * A bad row at line 10, past DuckDB's first chunks (20,001) and on the last line, through every command that
 * reads a file: fit (memory and stream mode), eval --input and predict --input. Under onBadRow: 'error' each
 * stops at the bad row's number; under 'skip' each counts it and says so.
 */
const N = 25_000;
const POSITIONS = [10, 20_001, N];
let dir: string;
let bundle: string;
const files = new Map<string, string>();
const fileOf = (format: BadFormat, k: number): string => files.get(`${format}@${k}`) as string;

beforeAll(async () => {
  dir = tempDir();
  for (const format of BAD_FORMATS) {
    for (const k of POSITIONS) files.set(`${format}@${k}`, await writeBadFile(join(dir, `bad-${k}`), format, N, new Map([[k, TRUNCATING_KIND[format]]])));
  }
  const good = await writeBadFile(join(dir, 'good'), 'csv', 2000, new Map());
  const [, path] = writeConfig(fileConfig({ train: good, stream: null, epochs: 1, batchSize: 256 }));
  bundle = join(dir, 'run');
  const fit = await runCli(['fit', '--config', path, '--out', bundle, '--json']);
  expect(fit.code, fit.stderr).toBe(0);
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const config = (train: string, o: { stream: boolean; onBadRow: 'error' | 'skip' }): ReturnType<typeof parseRunConfig> =>
  parseRunConfig(fileConfig({ train, stream: o.stream ? { chunkSize: 4096, shuffleBuffer: 4096 } : null, onBadRow: o.onBadRow, epochs: 1, batchSize: 1024, validationFraction: 0.1 }));

/** Runs a CLI command in this process with its stdout and stderr captured. */
async function inProcess(run: (argv: string[]) => Promise<number>, argv: string[]): Promise<{ code: number | WideDeepError; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((stdout += String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((stderr += String(s)), true));
  try {
    const code = await run(argv).catch((err: unknown) => {
      if (err instanceof WideDeepError) return err;
      throw err;
    });
    return { code, stdout, stderr };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

describe.each(BAD_FORMATS)('%s: a bad row stops every command at its row (onBadRow: error)', (format) => {
  it.each(POSITIONS)('fit in memory and in stream mode, bad row at data row %i', async (k) => {
    for (const stream of [false, true]) {
      const e = await catchError(() => fitRun(config(fileOf(format, k), { stream, onBadRow: 'error' })));
      expect(e.details, `stream: ${stream}`).toMatchObject({ file: fileOf(format, k), row: rowOf(format, k) });
    }
  });

  it.each(POSITIONS)('eval --input and predict --input, bad row at data row %i', async (k) => {
    const file = fileOf(format, k);
    const ev = await inProcess(evaluate, ['--model', join(bundle, 'model'), '--input', file, '--json']);
    expect(ev.code).toBeInstanceOf(WideDeepError);
    expect((ev.code as WideDeepError).details).toMatchObject({ file, row: rowOf(format, k) });
    expect(ev.stdout).toBe('');
    const pr = await inProcess(predict, ['--model', join(bundle, 'model'), '--input', file]);
    const error = pr.code instanceof WideDeepError ? pr.code.message : pr.stderr;
    expect(error).toContain(`row ${rowOf(format, k)}`);
    // Every prediction written names a row before the bad one.
    const rows = pr.stdout.split('\n').filter((l) => l !== '').map((l) => (JSON.parse(l) as { row: number }).row);
    expect(rows.every((r) => r < rowOf(format, k))).toBe(true);
    if (rows.length > 0) expect(pr.code).not.toBe(0);
  });
});

describe.each(BAD_FORMATS)('%s: a bad row past the first chunks is counted and reported (onBadRow: skip)', (format) => {
  it('fit in memory and in stream mode keep every other row and record the skipped row', async () => {
    const file = fileOf(format, 20_001);
    for (const stream of [false, true]) {
      const lines: string[] = [];
      const r = await fitRun(config(file, { stream, onBadRow: 'skip' }), { log: (l) => lines.push(l) });
      const fp = r.data.fingerprint as { skippedRows: { reader: number }; rows: unknown };
      expect(fp.skippedRows.reader, `stream: ${stream}`).toBe(1);
      expect(lines.join('\n')).toMatch(new RegExp(`row ${rowOf(format, 20_001)}`));
      await r.model.release();
    }
  });

  it('eval --input and predict --input score every other row and say one was skipped', async () => {
    const file = fileOf(format, 20_001);
    const ev = await inProcess(evaluate, ['--model', join(bundle, 'model'), '--input', file, '--json', '--on-bad-row', 'skip']);
    expect(ev.code).toBe(0);
    expect(JSON.parse(ev.stdout)).toMatchObject({ rows: N - 1, rowsSkipped: 1 });
    expect(ev.stderr).toContain(`row ${rowOf(format, 20_001)}`);
    const pr = await inProcess(predict, ['--model', join(bundle, 'model'), '--input', file, '--on-bad-row', 'skip']);
    expect(pr.code).toBe(0);
    expect(pr.stdout.trim().split('\n')).toHaveLength(N - 1);
    expect(pr.stderr).toMatch(/skipped 1 bad row/);
  });
});

describe('the CLI end to end', () => {
  it('fit --json under skip prints the skipped count and stores it in the manifest; eval exits 2 naming the row', async () => {
    const file = fileOf('csv', 20_001);
    const [, path] = writeConfig(fileConfig({ train: file, stream: null, onBadRow: 'skip', epochs: 1, batchSize: 1024 }));
    const out = join(dir, 'skip-run');
    const fit = await runCli(['fit', '--config', path, '--out', out, '--json']);
    expect(fit.code, fit.stderr).toBe(0);
    expect(fit.stderr).toContain(`row ${rowOf('csv', 20_001)}`);
    const final = JSON.parse(fit.stdout.trim().split('\n').pop() as string) as { skippedRows: { reader: number } };
    expect(final.skippedRows.reader).toBe(1);
    const { manifest } = await readBundle(join(out, 'model'));
    expect((manifest.data as { skippedRows: { reader: number } }).skippedRows.reader).toBe(1);
    const ev = await runCli(['eval', '--model', join(out, 'model'), '--input', fileOf('csv', N)]);
    expect(ev.code).toBe(2);
    expect(ev.stderr).toContain(`row ${rowOf('csv', N)}`);
  }, 60_000);
});
