import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, resolve, sep } from 'node:path';
import type { Browser, Page } from 'playwright-core';

/**
 * The browser side of the widedeep/web tests and bench/web-case.ts: the browser build made fresh from the
 * sources (scripts/build-web.mjs into a temp dir), a static HTTP server on 127.0.0.1 port 0 serving it with a
 * folder of bundles and a test page, and headless Chromium driving the page.
 */

export const CHROMIUM = '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM);
const ROOT = resolve(import.meta.dirname, '../..');

/** Runs scripts/build-web.mjs into a fresh temp dir; returns that dir. */
export function buildWeb(): string {
  const out = join(mkdtempSync(join(tmpdir(), 'wd-web-')), 'dist-web');
  execFileSync(process.execPath, [join(ROOT, 'scripts/build-web.mjs'), out], { stdio: 'pipe' });
  return out;
}

const TYPES: Record<string, string> = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json', '.html': 'text/html', '.map': 'application/json' };

/**
 * The test page: imports widedeep-web.js and exposes `run(op, url, ...)` to the test, which answers JSON (an
 * error as `{ error: { name, code, message, details } }`, since a thrown error loses its fields on the way).
 * `time` answers each call's milliseconds and the loop's total (performance.now() is coarsened to 100 us in a
 * page that is not cross-origin isolated, 5 us in one: the total over many calls gives the mean precisely).
 */
const PAGE = `<!doctype html><meta charset="utf-8"><title>widedeep/web</title>
<script type="module">
import * as wd from '/web/widedeep-web.js';
const bundles = new Map();
const ops = {
  async load(url, options) { const b = await wd.loadBundle(url, options); bundles.set(url, b); return b.metadata; },
  predict: (url, rows) => bundles.get(url).predict(rows),
  explain: (url, rows, topK) => bundles.get(url).explain(rows, { topK }),
  async time(url, rows, n) {
    const b = bundles.get(url);
    const ms = [];
    const start = performance.now();
    for (let i = 0; i < n; i++) { const t = performance.now(); await b.predict(rows); ms.push(performance.now() - t); }
    return { ms, total: performance.now() - start };
  },
  isolated: () => globalThis.crossOriginIsolated === true,
  cores: () => navigator.hardwareConcurrency,
};
window.run = async (op, ...args) => {
  try { return { value: await ops[op](...args) }; }
  catch (e) { return { error: { name: e.name, isWideDeepError: e instanceof wd.WideDeepError, code: e.code, message: e.message, details: e.details } }; }
};
window.ready = true;
</script>`;

export interface StaticServer {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serves `/` (the test page), `/web/*` from `web` and `/b/*` from `bundles` on 127.0.0.1 port 0. `isolated`:
 * every answer carries COOP same-origin and COEP require-corp, so the page is cross-origin isolated (threads).
 */
export async function serveStatic(web: string, bundles: string, options: { isolated?: boolean } = {}): Promise<StaticServer> {
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const headers: Record<string, string> = options.isolated === true ? { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' } : {};
    if (path === '/favicon.ico') {
      res.writeHead(204, headers).end();
      return;
    }
    if (path === '/') {
      res.writeHead(200, { ...headers, 'Content-Type': 'text/html' }).end(PAGE);
      return;
    }
    const mount = path.startsWith('/web/') ? web : path.startsWith('/b/') ? bundles : null;
    const file = mount === null ? null : resolve(mount, `.${path.slice(path.indexOf('/', 1))}`);
    if (mount === null || file === null || !file.startsWith(mount + sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, headers).end();
      return;
    }
    const body = readFileSync(file);
    res.writeHead(200, { ...headers, 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Content-Length': String(body.byteLength) }).end(body);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const address = server.address() as { port: number };
  return { url: `http://127.0.0.1:${address.port}`, close: () => new Promise<void>((ok, fail) => server.close((e) => (e ? fail(e) : ok()))) };
}

export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** What the page answered: a value, or an error with its fields. */
export type PageResult<T> = { value: T; error?: undefined } | { value?: undefined; error: { name: string; isWideDeepError: boolean; code?: string; message: string; details?: Record<string, unknown> } };

/** Opens the test page of `server` and waits for widedeep-web.js to load; `problems` collects console errors. */
export async function openPage(browser: Browser, server: StaticServer, problems: string[]): Promise<Page> {
  const page = await browser.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()} at ${m.location().url}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  await page.goto(`${server.url}/`);
  await page.waitForFunction(() => (globalThis as unknown as { ready?: boolean }).ready === true);
  return page;
}

/** Calls `run(op, ...args)` in the page. */
export function inPage<T>(page: Page, op: string, ...args: unknown[]): Promise<PageResult<T>> {
  return page.evaluate(([o, a]) => (globalThis as unknown as { run: (op: string, ...args: unknown[]) => Promise<unknown> }).run(o as string, ...(a as unknown[])), [op, args] as const) as Promise<PageResult<T>>;
}
