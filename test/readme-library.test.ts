import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';

// The README's library example ("Training from arrays of rows") runs as written, against src/.
const ROOT = resolve(import.meta.dirname, '..');

/** The TypeScript block after the `<!-- library-example -->` marker, importing src/index.ts for 'widedeep'. */
function readmeExample(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const m = /<!-- library-example -->\n```ts\n([\s\S]*?)\n```/.exec(readme);
  if (!m) throw new Error('README.md has no ```ts block after <!-- library-example -->');
  return (m[1] as string).replace(/from 'widedeep'/g, `from ${JSON.stringify(join(ROOT, 'src/index.ts'))}`);
}

describe('README library example', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('trains from arrays of rows, saves, reloads and scores JSON rows', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'wd-readme-')), 'example.ts');
    writeFileSync(file, readmeExample());
    const lines: unknown[][] = [];
    vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void lines.push(args));
    await import(pathToFileURL(file).href);
    const [auc, scored] = lines;
    expect(auc?.[0]).toBe('test AUC');
    expect(auc?.[1] as number).toBeGreaterThan(0.9);
    const [predictions, ignored] = scored as [number[], string[]];
    expect(predictions).toHaveLength(2);
    // A mobile user seeing a game clicks; a desktop user on an expensive item does not.
    expect(predictions[0]).toBeGreaterThan(predictions[1] as number);
    expect(ignored).toEqual(['categry']);
  }, 120_000);
});
