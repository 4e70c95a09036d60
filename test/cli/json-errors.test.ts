import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runMain } from '../helpers/cli.js';

const run = runMain;

/** stderr as exactly one JSON object on one line. */
function oneObject(stderr: string): Record<string, unknown> {
  const lines = stderr.split('\n').filter((l) => l !== '');
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0]!) as Record<string, unknown>;
}

describe('errors under --json', () => {
  afterEach(() => vi.restoreAllMocks());

  it('are one JSON object on stderr with code, message, file and fix, and the usual exit code', async () => {
    const missing = join(mkdtempSync(join(tmpdir(), 'wd-json-')), 'nope.yaml');
    const r = await run(['fit', '--config', missing, '--json']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const e = oneObject(r.stderr);
    expect(e).toEqual({ event: 'error', code: 'IO', message: expect.stringMatching(/^cannot read the config: ENOENT/), file: missing, fix: 'check the --config path' });
  });

  it('name the field of a bad config or flag', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wd-json-'));
    const path = join(dir, 'run.yaml');
    writeFileSync(path, 'data: { dataset: synthetic }\nfeatures: {}\ntrian: {}\n');
    const key = oneObject((await run(['fit', '--config', path, '--json'])).stderr);
    expect(key).toMatchObject({ event: 'error', code: 'CONFIG', message: 'unknown key trian', file: path, field: 'trian', fix: expect.stringMatching(/valid top-level keys/) });
    const flag = await run(['eval', '--model', dir, '--json', '--threads', '0']);
    expect(flag.code).toBe(2);
    expect(oneObject(flag.stderr)).toEqual({ event: 'error', code: 'CONFIG', message: '--threads must be at least 1, got 0', field: '--threads', fix: expect.any(String) });
    const bundle = await run(['inspect', '--model', dir, '--json']);
    expect(bundle.code).toBe(2);
    expect(oneObject(bundle.stderr)).toMatchObject({ event: 'error', code: 'BUNDLE' });
  });

  it('stay plain text without --json', async () => {
    const r = await run(['eval', '--model', 'x', '--threads', '0']);
    expect(r.stderr).toBe('widedeep eval: field --threads: --threads must be at least 1, got 0 (fix: use e.g. --threads 4, or leave it out to use every core)\n');
  });
});
