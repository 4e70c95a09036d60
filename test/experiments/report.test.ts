import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { bestVsBaseline, calibrationChart, histogramChart, importanceChart, metricBarsChart, prChart, rocChart } from '../../src/experiments/charts.js';
import { type ReportOutput, writeReport } from '../../src/experiments/report.js';
import { readResults } from '../../src/experiments/results-file.js';
import { runSuite } from '../../src/experiments/runner.js';
import { mean } from '../../src/experiments/stats.js';
import { summarizeSuite } from '../../src/experiments/summary.js';
import type { TrialRecord } from '../../src/experiments/trial.js';
import { tinySuite } from './tiny-suite.js';

const CHROMIUM = '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);

describe('report', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wd-report-'));
  let report: ReportOutput;
  let records: TrialRecord[];

  beforeAll(async () => {
    const suite = tinySuite({ analysis: { longTail: { users: 10, k: 5 } } });
    const results = join(dir, 'results.jsonl');
    await runSuite(suite, { resultsFile: results, workers: 0, threads: 1 });
    report = await writeReport(results, join(dir, 'report'));
    records = readResults(results);
  }, 120_000);

  /** The layers of a chart's spec (a layered spec's `layer`). */
  const layers = (spec: unknown) => (spec as { layer: { mark: { type: string } | string; encoding?: Record<string, Record<string, unknown>>; data?: { values: Record<string, unknown>[] } }[] }).layer;
  const values = (spec: unknown) => (spec as { data: { values: Record<string, unknown>[] } }).data.values;
  const ok = (variant: string) => records.filter((r) => r.status === 'ok' && r.variant === variant);

  it('metric bars start at 0 and print each mean, with the error bars kept', () => {
    const summary = summarizeSuite(records);
    const spec = metricBarsChart(summary)!.spec;
    const [bar, text, rule] = layers(spec);
    expect(bar!.encoding!['x']!['scale']).toEqual({ zero: true });
    expect(text!.mark).toMatchObject({ type: 'text' });
    expect(text!.encoding!['text']).toEqual({ field: 'label' });
    for (const v of values(spec)) {
      const s = summary.variants.find((x) => x.variant === v['variant'])!;
      expect(v['label']).toBe(s.mean.toFixed(4));
      expect(v['lo']).toBeCloseTo(s.mean - s.std, 12);
    }
    expect(rule!.encoding!['x2']).toEqual({ field: 'hi' });
  });

  it("ROC and PR legends carry each variant's mean test AUC and AP; each curve has its own dash", () => {
    const summary = summarizeSuite(records);
    const pair = bestVsBaseline(summary)!;
    const roc = layers(rocChart(summary, records)!.spec)[1]!;
    const rocLabels = [...new Set(roc.data!.values.map((v) => v['series']))];
    expect(rocLabels).toEqual(pair.map((v) => `${v} (AUC ${mean(ok(v).map((r) => r.test!['auc']!)).toFixed(3)})`));
    const dash = roc.encoding!['strokeDash'] as { field: string; scale: { range: number[][] } };
    expect(dash.field).toBe('series');
    expect(new Set(dash.scale.range.map((d) => d.join(','))).size).toBe(2);
    const width = roc.encoding!['strokeWidth'] as { field: string; scale: { range: number[] } };
    expect(width.field).toBe('series');
    expect(width.scale.range[0]).toBeGreaterThan(width.scale.range[1]!);
    expect(roc.mark).toMatchObject({ opacity: expect.any(Number) });
    const pr = layers(prChart(summary, records)!.spec).find((l) => l.data!.values.some((v) => 'recall' in v))!;
    const prLabels = [...new Set(pr.data!.values.map((v) => v['series']))];
    expect(prLabels).toEqual(pair.map((v) => `${v} (AP ${mean(ok(v).map((r) => r.curves!.pr!.averagePrecision)).toFixed(3)})`));
  });

  it('calibration points are sized by their row counts (tooltip too), which sum to the test rows over seeds', () => {
    const summary = summarizeSuite(records);
    const pair = bestVsBaseline(summary)!;
    const points = layers(calibrationChart(summary, records)!.spec).find((l) => (l.mark as { type: string }).type === 'point')!;
    expect(points.encoding!['size']).toMatchObject({ field: 'count' });
    expect(points.encoding!['tooltip']).toContainEqual(expect.objectContaining({ field: 'count' }));
    for (const v of pair) {
      const label = String(points.data!.values.find((x) => String(x['series']).startsWith(`${v} (`))!['series']);
      const counted = points.data!.values.filter((x) => x['series'] === label).reduce((a, x) => a + (x['count'] as number), 0);
      expect(counted).toBe(ok(v).reduce((a, r) => a + r.test!['count']!, 0));
    }
  });

  it("the score histogram pools both classes' counts over seeds", () => {
    const summary = summarizeSuite(records);
    const [best] = bestVsBaseline(summary)!;
    const vs = values(histogramChart(summary, records)!.spec).filter((v) => v['series'] === best);
    const positives = vs.filter((v) => v['class'] === 'positives').reduce((a, v) => a + (v['count'] as number), 0);
    expect(positives).toBe(ok(best).reduce((a, r) => a + Math.round(r.test!['count']! * r.test!['meanLabel']!), 0));
  });

  it('feature importance (when trials record it): mean drop over seeds of the best variant, largest first', () => {
    const summary = summarizeSuite(records);
    const best = summary.variants[0]!.variant;
    const plain = records.map((r) => ({ ...r, importance: null }));
    expect(importanceChart(summary, plain)).toBeNull();
    // What a trial that records importance adds to its line: two columns, different drops per seed.
    const withImportance = records.map((r) => ({ ...r, importance: [{ column: 'a', drop: 0.01 * r.seed, metric: 'auc' }, { column: 'b', drop: 0.1 + r.seed, metric: 'auc' }] }));
    const chart = importanceChart(summary, withImportance)!;
    const seeds = ok(best).map((r) => r.seed);
    expect(values(chart.spec).map((v) => [v['column'], v['drop']])).toEqual([['b', mean(seeds.map((x) => 0.1 + x))], ['a', mean(seeds.map((x) => 0.01 * x))]]);
    expect((layers(chart.spec)[0]!.encoding!['x']!['scale'] as { zero: boolean }).zero).toBe(true);
  });

  it('writes one SVG per chart, a self-contained page and the Markdown tables', () => {
    // Trials record importance once src/experiments/trial.ts computes it (scratch/patches/report-trial-importance.patch).
    const importance = records.some((r) => (r as { importance?: unknown }).importance) ? ['importance'] : [];
    expect(report.charts.map((c) => c.id)).toEqual(['test-auc-bars', 'learning-curves', 'roc', 'pr', 'calibration', 'histogram', ...importance, 'long-tail']);
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
