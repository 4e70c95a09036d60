import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// The studio's page is built by scripts/build-studio.mjs (esbuild: Preact, vega-embed) and ships in the
// package, so `npx widedeep studio` works offline: nothing in it may load from the network.

const ROOT = resolve(import.meta.dirname, '../..');

/**
 * URLs a bundled library carries as names, never fetched: XML namespaces, Vega's schema ids (read from a
 * spec's $schema to pick the parser), and links in messages or in the action menu the studio turns off.
 */
const NAMES_NOT_FETCHED = /^https?:\/\/(www\.w3\.org\/|vega\.github\.io\/(schema|editor)\/|github\.com\/vega\/)/;

describe('scripts/build-studio.mjs', () => {
  it('builds index.html, app.js and app.css that reference nothing outside the studio', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'wd-studio-build-')), 'dist-studio');
    execFileSync(process.execPath, [join(ROOT, 'scripts/build-studio.mjs'), out], { stdio: 'pipe' });
    for (const f of ['index.html', 'app.js', 'app.css']) expect(existsSync(join(out, f)), f).toBe(true);
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    expect([...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1])).toEqual(['data:,', '/studio/app.css', '/studio/app.js']);
    expect(html).not.toMatch(/https?:/);
    expect(readFileSync(join(out, 'app.css'), 'utf8')).not.toMatch(/https?:|@import|url\(/);
    const js = readFileSync(join(out, 'app.js'), 'utf8');
    const urls = [...new Set(js.match(/https?:\/\/[^\s"'`)<>\\]+/g) ?? [])];
    expect(urls.filter((u) => !NAMES_NOT_FETCHED.test(u))).toEqual([]);
    // widedeep/web is loaded from the studio at run time, not bundled again.
    expect(js).toContain('/web/widedeep-web.js');
    expect(js).not.toMatch(/onnxruntime-web|ort-wasm/);
  });
});
