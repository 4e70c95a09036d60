import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBundle } from '../../src/artifact/bundle.js';
import { readResults } from '../../src/experiments/results-file.js';
import { bySuite, summarizeSuite } from '../../src/experiments/summary.js';
import { fmtP } from '../../src/experiments/tables.js';
import type { FittedSpec } from '../../src/features/fitted-spec.js';
import type { WideDeepModel } from '../../src/model/wide-deep.js';
import { predictRows } from '../../src/serve/predict-rows.js';
import { type Studio, startStudio } from '../../src/studio/server.js';
import { buildWeb, CHROMIUM, HAVE_CHROMIUM, launchChromium } from '../web/harness.js';
import { makeStudioRuns, type StudioRuns } from './fixture.js';

// Issue 17, section 2: every view of the studio in headless Chromium, with no console errors and nothing
// loaded from outside 127.0.0.1; the what-if prediction equals Node's; the experiments view shows each suite's
// baseline and p-values as the summary computes them. Screenshots go to test-output/studio/.

if (!HAVE_CHROMIUM) process.stderr.write(`skipping test/studio/browser.test.ts: ${CHROMIUM} not found (apt-get install -y chromium)\n`);
const ROOT = resolve(import.meta.dirname, '../..');
const SHOTS = join(ROOT, 'test-output/studio');

let fx: StudioRuns;
let studio: Studio;
let browser: Browser;
let node: { model: WideDeepModel; spec: FittedSpec };
let built: { app: string; web: string };

/** The page's document, as the functions run in the page see it (this project's types have no DOM). */
interface PageElement {
  getAttribute(name: string): string | null;
}
type PageDocument = { querySelector(s: string): PageElement | null; querySelectorAll(s: string): ArrayLike<PageElement> };

/** A page that records console errors and warnings, page errors and every request leaving the studio. */
async function openView(hash: string, problems: string[]): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (r) => {
    if (!r.url().startsWith(`${studio.url}/`) && !r.url().startsWith('data:')) problems.push(`request outside the studio: ${r.url()}`);
  });
  await page.goto(`${studio.url}/${hash}`);
  await page.waitForSelector('section[data-ready=true]', { timeout: 60_000 });
  await page.waitForSelector('[data-ready=false]', { state: 'detached', timeout: 60_000 });
  // Every chart drawn (vega-embed resolved) before the screenshot.
  await page.waitForFunction(() => Array.from((globalThis as unknown as { document: PageDocument }).document.querySelectorAll('figure.chart')).every((f) => f.getAttribute('data-drawn') === 'true'), undefined, { timeout: 60_000 });
  return page;
}

async function shoot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

async function nodePrediction(row: Record<string, unknown>): Promise<number> {
  const { predictions } = await predictRows(node.model, node.spec, [row]);
  return predictions[0] as number;
}

describe.skipIf(!HAVE_CHROMIUM)('widedeep studio in Chromium', () => {
  beforeAll(async () => {
    fx = await makeStudioRuns();
    const app = join(mkdtempSync(join(tmpdir(), 'wd-studio-app-')), 'dist-studio');
    execFileSync(process.execPath, [join(ROOT, 'scripts/build-studio.mjs'), app], { stdio: 'pipe' });
    built = { app, web: buildWeb() };
    studio = await startStudio({ runsDir: fx.runs, modelDir: fx.model, port: 0, appDir: app, webDir: built.web });
    browser = await launchChromium();
    const { model, bundle } = await loadBundle(fx.model);
    node = { model, spec: bundle.spec };
    mkdirSync(SHOTS, { recursive: true });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await studio?.close();
    await node?.model.release();
  });

  it('draws every view with no console error and no request outside the studio', async () => {
    const views: [string, string][] = [
      ['runs', '#/runs'],
      ['run', `#/runs/${encodeURIComponent('fit:small')}`],
      ['compare', `#/runs/compare?a=${encodeURIComponent('fit:small')}&b=${encodeURIComponent('trial:experiments/tiny.jsonl#0')}`],
      ['experiments', '#/experiments'],
      ['model', '#/model'],
      ['what-if', '#/what-if'],
    ];
    for (const [name, hash] of views) {
      const problems: string[] = [];
      const page = await openView(hash, problems);
      if (name === 'what-if') await page.waitForSelector('[data-testid=prediction]', { timeout: 120_000 });
      const charts = await page.$$eval('figure.chart svg', (els) => els.length);
      if (name !== 'runs' && name !== 'model') expect(charts, name).toBeGreaterThan(0);
      expect(await page.$$eval('.error', (els) => els.map((e) => e.textContent)), name).toEqual([]);
      await shoot(page, name);
      expect(problems, name).toEqual([]);
      await page.close();
    }
  });

  it('lists the unreadable run.json with its error in the runs view', async () => {
    const page = await openView('#/runs', []);
    expect(await page.textContent('[data-testid=run-errors]')).toMatch(/broken\/run\.json.*not valid JSON/s);
    expect(await page.$$eval('[data-testid=runs] tbody tr', (rows) => rows.length)).toBe(1 + readResults(fx.results).length);
    await page.close();
  });

  it("what-if: the page's prediction equals Node's for the row, and follows each edit", async () => {
    const problems: string[] = [];
    const page = await openView('#/what-if', problems);
    const shown = async (before?: string) => {
      await page.waitForFunction((old) => {
        const v = (globalThis as unknown as { document: PageDocument }).document.querySelector('[data-testid=prediction]')?.getAttribute('data-value');
        return v !== null && v !== undefined && v !== old;
      }, before, { timeout: 120_000 });
      return (await page.getAttribute('[data-testid=prediction]', 'data-value')) as string;
    };
    const start = (await (await fetch(`${studio.url}/api/model/example-row`)).json()) as { row: Record<string, unknown> };
    const first = await shown();
    expect(Math.abs(Number(first) - (await nodePrediction(start.row)))).toBeLessThan(1e-6);

    await page.fill('#field-age', '71');
    const older = await shown(first);
    expect(Math.abs(Number(older) - (await nodePrediction({ ...start.row, age: 71 })))).toBeLessThan(1e-6);

    const countries = await page.$$eval('#field-country option', (os) => os.map((o) => (o as unknown as { value: string }).value).filter((v) => v !== ''));
    const other = countries.find((c) => c !== start.row.country) as string;
    await page.selectOption('#field-country', other);
    const moved = await shown(older);
    expect(Math.abs(Number(moved) - (await nodePrediction({ ...start.row, age: 71, country: other })))).toBeLessThan(1e-6);
    await shoot(page, 'what-if-edited');

    // A value the model refuses: shown under its field, with the fix, and no prediction.
    await page.fill('#field-age', 'forty');
    await page.waitForSelector('[data-field=age] .field-error', { timeout: 60_000 });
    expect(await page.textContent('[data-field=age] .field-error')).toMatch(/age.*fix/);
    expect(await page.$('[data-testid=prediction]')).toBeNull();
    await shoot(page, 'what-if-error');
    expect(problems).toEqual([]);
    await page.close();
  });

  it("experiments: every suite's baseline and p-values as the summary computes them", async () => {
    const page = await openView('#/experiments', []);
    for (const [suite, records] of bySuite(readResults(fx.results))) {
      const summary = summarizeSuite(records);
      const table = `[data-testid=suite-table][data-suite="${suite}"]`;
      const header = await page.$$eval(`${table} thead th`, (ths) => ths.map((t) => t.textContent));
      const pAt = header.indexOf('p (paired t)');
      expect(pAt).toBeGreaterThan(0);
      const rows = await page.$$eval(`${table} tbody tr`, (trs) => trs.map((tr) => ({ variant: tr.getAttribute('data-variant'), baseline: tr.getAttribute('data-baseline'), cells: [...tr.querySelectorAll('td')].map((td) => td.textContent) })));
      expect(rows.map((r) => r.variant)).toEqual(summary.variants.map((v) => v.variant));
      expect(rows.filter((r) => r.baseline === 'true').map((r) => r.variant)).toEqual([summary.baseline]);
      for (const [i, v] of summary.variants.entries()) {
        expect(rows[i]?.cells[pAt], v.variant).toBe(v.isBaseline ? '-' : fmtP(v.p));
        if (!v.isBaseline) expect(v.p, v.variant).not.toBeNull();
      }
      expect(await page.textContent(`article[data-suite="${suite}"] [data-testid=baseline]`)).toBe(summary.baseline);
    }
    await page.close();
  });

  it('without --model, the model and what-if views say how to give one', async () => {
    const bare = await startStudio({ runsDir: fx.runs, port: 0, appDir: built.app, webDir: built.web });
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    try {
      for (const view of ['model', 'what-if']) {
        await page.goto(`${bare.url}/#/${view}`);
        await page.waitForSelector(`section[data-view="${view}"][data-ready=true]`, { timeout: 60_000 });
        expect(await page.textContent('.error'), view).toMatch(/NO_MODEL.*fix: restart it with --model <dir>/s);
        await shoot(page, `${view}-no-model`);
      }
      expect(problems).toEqual([]);
    } finally {
      await page.close();
      await bare.close();
    }
  });
});
