import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { WideDeepError } from '../../src/core/errors.js';
import { getColumn, valuesArray } from '../../src/data/chunk.js';
import { DATA_DIR, hasData } from '../helpers/shared-data.js';
import type { RowChunk } from '../../src/data/types.js';

export { DATA_DIR };
export const HAS_DATA = ['adult/adult.data', 'ml-100k/u.data', 'criteo/train.tiny.txt'].every(hasData);

/** A temp folder removed after the file's tests; `write` puts a small file in it. */
export function tempDir(): { dir: string; write: (name: string, content: string | Buffer) => string } {
  const dir = mkdtempSync(join(tmpdir(), 'wd-data-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return {
    dir,
    write: (name, content) => {
      const p = join(dir, name);
      writeFileSync(p, content);
      return p;
    },
  };
}

/** Runs `fn`, expects a WideDeepError, returns it. */
export async function catchError(fn: () => unknown): Promise<WideDeepError> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof WideDeepError) return e;
    throw new Error(`expected a WideDeepError, got ${String(e)}`, { cause: e });
  }
  throw new Error('expected an error, got none');
}

/** A column's values as a plain array (a Utf8Values column decoded to strings), to compare with toEqual. */
export function cells(chunk: RowChunk, name: string): unknown[] {
  return [...valuesArray(getColumn(chunk, name))];
}
