import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type ReportOutput, writeReport } from '../../src/experiments/report.js';
import { runSuite } from '../../src/experiments/runner.js';
import { tinySuite } from './tiny-suite.js';

const CHROMIUM = '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);

describe('report', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wd-report-'));
  let report: ReportOutput;

  beforeAll(async () => {
    const suite = tinySuite({ analysis: { longTail: { users: 10, k: 5 } } });
    const results = join(dir, 'results.jsonl');
    await runSuite(suite, { resultsFile: results, workers: 0, threads: 1 });
    report = await writeReport(results, join(dir, 'report'));
  }, 120_000);

  it('writes one SVG per chart, a self-contained page and the Markdown tables', () => {
    expect(report.charts.map((c) => c.id)).toEqual(['test-auc-bars', 'learning-curves', 'roc', 'calibration', 'long-tail']);
    for (const f of report.svgs) expect(readFileSync(f, 'utf8')).toMatch(/^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    const html = readFileSync(report.html, 'utf8');
    expect(html.match(/<svg/g)).toHaveLength(report.charts.length);
    // Nothing to fetch: no scripts, stylesheets or images from anywhere.
    expect(html).not.toMatch(/<script|<link|<img|src=|@import/);
    expect(report.markdown).toContain('| kind=wide (baseline) | 2 |');
    expect(report.markdown).toContain('truth (oracle)');
    expect(readFileSync(join(dir, 'report', 'results.md'), 'utf8')).toBe(report.markdown);
  });

  it.skipIf(!HAVE_CHROMIUM)(`renders in headless Chromium without errors and shows every chart${HAVE_CHROMIUM ? '' : ` (skipped: ${CHROMIUM} not found; apt-get install -y chromium)`}`, async () => {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    try {
      const page = await browser.newPage();
      const problems: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
      page.on('request', (r) => requests.push(r.url()));
      await page.goto(`file://${report.html}`, { waitUntil: 'load' });
      const figures = await page.$$eval('figure', (fs) =>
        fs.map((f) => {
          const svg = f.querySelector('svg');
          const box = svg?.getBoundingClientRect();
          return { label: f.getAttribute('aria-label'), width: box?.width ?? 0, height: box?.height ?? 0, text: svg?.textContent ?? '', marks: svg?.querySelectorAll('path, rect, line').length ?? 0 };
        }),
      );
      expect(problems).toEqual([]);
      expect(requests.every((u) => u.startsWith('file://'))).toBe(true);
      expect(figures.map((f) => f.label)).toEqual(report.charts.map((c) => c.title));
      for (const f of figures) {
        expect(f.width).toBeGreaterThan(100);
        expect(f.height).toBeGreaterThan(100);
        expect(f.text).toContain(f.label);
        expect(f.marks).toBeGreaterThan(5);
      }
      expect(await page.$$eval('table', (ts) => ts.length)).toBe(2);
    } finally {
      await browser.close();
    }
  }, 60_000);
});
