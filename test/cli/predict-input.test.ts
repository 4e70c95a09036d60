import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { jsonLines, runCli, type CliResult } from '../helpers/cli.js';
import { smallConfig, writeConfig } from '../helpers/small-config.js';

// `widedeep predict` on bad input (issue 13): every bad line is an error naming its row, or skipped under
// --on-bad-row skip; the predictions of the rows before a bad one are written first, and exit 3 says the output
// is partial (2: stopped before any prediction).

const GOOD = { user_id: 'u1', app_id: 'a1', app_category: 'cat01', country: 'cty00', installed_apps: ['a2'], age: 31 };
const good = (i: number): string => JSON.stringify({ ...GOOD, user_id: `u${i % 300}`, age: 20 + (i % 50) });

/** `n` JSON lines, line `at` replaced by `bad`. */
function linesWith(n: number, at: number, bad: string): string {
  return Array.from({ length: n }, (_, i) => (i + 1 === at ? bad : good(i + 1))).join('\n');
}

/** The row numbers of the prediction lines, in output order. */
const rowsOf = (r: CliResult): number[] => jsonLines(r.stdout).map((l) => l.row as number);
const upTo = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);

describe('widedeep predict: bad rows and partial output', () => {
  let model: string;
  let dir: string;
  const predict = (args: string[], input?: string): Promise<CliResult> =>
    runCli(['predict', '--model', model, ...args], input !== undefined ? { input } : {});

  beforeAll(async () => {
    const [d, path] = writeConfig(smallConfig({ rows: 1000, epochs: 1 }));
    dir = d;
    const fit = await runCli(['fit', '--config', path, '--out', join(dir, 'run')]);
    expect(fit.code).toBe(0);
    model = join(dir, 'run', 'model');
  });

  it('a line that is not a JSON object is an error naming its line, after the predictions of the lines before it', async () => {
    // Line 2 is blank (skipped, but counted): the bad line is row 3.
    const cases = [
      ['null', 'not a JSON object, got null'],
      ['42', 'not a JSON object, got a number \\(42\\)'],
      ['"hello"', 'not a JSON object, got a string \\("hello"\\)'],
      ['{"age": ', 'not valid JSON'],
    ] as const;
    const first = ['[1,2,3]', good(2)].join('\n');
    const [one, ...runs] = await Promise.all([first, ...cases.map(([bad]) => [good(1), '', bad, good(4)].join('\n'))].map((input) => predict(['--input', '-'], input)));
    runs.forEach((r, i) => {
      expect(r.stderr).toMatch(new RegExp(`file stdin, row 3: ${cases[i]![1]}.*\\(fix: `));
      expect(r.stderr).toMatch(/the output is partial \(exit 3\)/);
      expect(rowsOf(r)).toEqual([1]);
      expect(r.code).toBe(3);
    });
    // A bad first line: nothing written, a plain failure.
    expect(one!.stdout).toBe('');
    expect(one!.stderr).toMatch(/file stdin, row 1: not a JSON object, got a list/);
    expect(one!.code).toBe(2);
  });

  it('a byte-order mark opening stdin is dropped, and a clean run prints nothing on stderr', async () => {
    const r = await predict(['--input', '-'], `\uFEFF${good(1)}\n\n${good(3)}\n`);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(rowsOf(r)).toEqual([1, 3]);
  });

  it('a bad line at 4,500 of 5,000: the 4,499 predictions before it, the error, exit 3; under skip, 4,999 and the count', async () => {
    const input = linesWith(5000, 4500, 'null');
    const [stop, skip] = await Promise.all([predict(['--input', '-'], input), predict(['--input', '-', '--on-bad-row', 'skip'], input)]);
    expect(rowsOf(stop)).toEqual(upTo(4499));
    expect(stop.stderr).toMatch(/file stdin, row 4500: not a JSON object, got null/);
    expect(stop.stderr).toMatch(/stopped after 4499 predictions/);
    expect(stop.code).toBe(3);

    expect(rowsOf(skip)).toEqual(upTo(5000).filter((r) => r !== 4500));
    expect(skip.stderr).toBe('skipped 1 bad row in stdin (first: row 4500: not a JSON object, got null)\n');
    expect(skip.code).toBe(0);
  });

  it('a value the rows or the transform refuse mid-chunk stops at its own row, after every row before it', async () => {
    // "old" in a numeric column used to make the chunk's column text and blame the chunk's first row;
    // a null age (no missing strategy) is refused by the transform.
    const [text, missing] = await Promise.all([
      predict(['--input', '-'], linesWith(3000, 2500, JSON.stringify({ ...GOOD, age: 'old' }))),
      predict(['--input', '-'], linesWith(3000, 2500, JSON.stringify({ ...GOOD, age: null }))),
    ]);
    expect(text.stderr).toMatch(/file stdin, row 2500, field age: column 'age': expected a number, got a string \("old"\)/);
    expect(missing.stderr).toMatch(/file stdin, row 2500, field age: .*missing value/);
    for (const r of [text, missing]) {
      expect(rowsOf(r)).toEqual(upTo(2499));
      expect(r.code).toBe(3);
    }
    const skipped = await predict(['--input', '-', '--on-bad-row', 'skip'], [good(1), JSON.stringify({ ...GOOD, age: 'old' }), 'nope', JSON.stringify({ ...GOOD, age: null }), good(5)].join('\n'));
    expect(rowsOf(skipped)).toEqual([1, 5]);
    expect(skipped.stderr).toMatch(/^skipped 3 bad rows in stdin \(first: row 2: column 'age': expected a number.*; row 3: not valid JSON.*; row 4, field age: column 'age': missing value/);
    expect(skipped.code).toBe(0);
  });

  it('--input <file>: the predictions read before a bad row, then the error and exit 3; under skip every good row', async () => {
    const path = join(dir, 'rows.jsonl');
    writeFileSync(path, linesWith(5000, 4500, 'null'));
    const [stop, skip] = await Promise.all([predict(['--input', path]), predict(['--input', path, '--on-bad-row', 'skip'])]);
    // The file reader hands over the good rows before the bad one before its error: every one is scored.
    expect(rowsOf(stop)).toEqual(upTo(4499));
    expect(stop.stderr).toMatch(/rows\.jsonl, row 4500: .*\n.*the output is partial \(exit 3\)/);
    expect(stop.code).toBe(3);

    expect(rowsOf(skip)).toEqual(upTo(5000).filter((r) => r !== 4500));
    expect(skip.stderr).toMatch(/^skipped 1 bad row in .*rows\.jsonl \(first: row 4500: /);
    expect(skip.code).toBe(0);
  });

  it('--on-bad-row takes error or skip only', async () => {
    const r = await predict(['--input', '-', '--on-bad-row', 'drop'], good(1));
    expect(r.stderr).toMatch(/--on-bad-row must be error or skip, got drop/);
    expect(r.code).toBe(2);
  });
});
