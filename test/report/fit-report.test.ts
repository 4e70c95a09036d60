import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readBundle } from '../../src/artifact/bundle.js';
import { fitCommand } from '../../src/cli/fit.js';
import { WideDeepError } from '../../src/core/errors.js';
import type { ChartLoaders } from '../../src/experiments/render.js';
import { inputColumns } from '../../src/features/checks.js';
import { runCharts } from '../../src/report/run-charts.js';
import { RUN_RECORD_FILE, type RunRecord, readRunRecord } from '../../src/report/run-record.js';
import { parseRunConfig } from '../../src/train/run-config.js';
import { jsonLines, runMain } from '../helpers/cli.js';
import { smallConfig, writeConfig } from '../helpers/small-config.js';

const CHROMIUM = '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
/** Where the run page's screenshot goes (ignored by git). */
const SHOTS = resolve(import.meta.dirname, '../../.tmp/test-output');

/** Every field of the run record (the studio relies on each). */
const FIELDS: readonly (keyof RunRecord)[] = [
  'format', 'kind', 'name', 'createdAt', 'config', 'dataFingerprint', 'seed', 'objective', 'history', 'refit', 'validation', 'test',
  'curves', 'importance', 'parameters', 'seconds', 'rowsPerSec', 'peakRssMB', 'threads', 'library', 'node', 'model',
];

describe('widedeep fit --report', () => {
  const [dir, path] = writeConfig(smallConfig({ rows: 2000, epochs: 2, seed: 5 }));
  const out = join(dir, 'run-a');
  let record: RunRecord;
  let final: { test: Record<string, number>; validation: Record<string, number>; record: string; report: string | null };

  beforeAll(async () => {
    const r = await runMain(['fit', '--config', path, '--out', out, '--json', '--report', '--threads', '1']);
    expect(r.stderr).not.toMatch(/"event":"error"/);
    expect(r.code).toBe(0);
    final = jsonLines(r.stdout).find((l) => l['event'] === 'final') as typeof final;
    record = await readRunRecord(out);
  }, 120_000);

  it('writes run.json with every field, agreeing with the fit, the bundle and the spec', async () => {
    for (const f of FIELDS) expect(record, f).toHaveProperty(f);
    expect(record).toMatchObject({ format: 1, kind: 'fit', name: 'run-a', seed: 5, objective: 'binary', model: 'model', threads: 1, refit: null });
    expect(final.record).toBe(join(out, 'run.json'));
    expect(final.report).toBe(join(out, 'report.html'));
    expect(record.test).toEqual(final.test);
    expect(record.validation).toEqual(final.validation);
    expect(record.history.map((h) => h.epoch)).toEqual([0, 1]);
    expect(Number.isNaN(Date.parse(record.createdAt))).toBe(false);
    // Curves of the test split: every test row is in the calibration bins and the histogram.
    const c = record.curves!;
    const rows = record.test!['count']!;
    expect(c.calibration.weight.reduce((a, b) => a + b, 0)).toBe(rows);
    expect(c.histogram!.positives.reduce((a, b) => a + b, 0) + c.histogram!.negatives.reduce((a, b) => a + b, 0)).toBe(rows);
    expect(c.pr!.precision).toHaveLength(c.pr!.recall.length);
    // Importance: one entry per input column the spec reads.
    const bundle = await readBundle(join(out, record.model));
    expect(record.importance!.map((i) => i.column).sort()).toEqual(inputColumns(bundle.spec).sort());
    // Parameter counts: the bundle's tensors, weight for weight.
    const total = [...bundle.state.tensors.values()].reduce((a, t) => a + t.length, 0);
    expect(record.parameters.reduce((a, p) => a + p.count, 0)).toBe(total);
    expect(readdirSync(out).sort()).toEqual(['checkpoint', 'model', 'report.html', 'run.json']);
  });

  it('report.html is one self-contained page holding every chart of the record', () => {
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    const charts = runCharts(record);
    expect(charts.map((c) => c.id)).toEqual(['learning-curves', 'roc', 'pr', 'calibration', 'histogram', 'importance']);
    for (const c of charts) expect(html).toContain(`data-chart="${c.id}"`);
    expect(html.match(/<svg/g)).toHaveLength(charts.length);
    // The only URLs are XML namespaces of the inline SVGs.
    const urls = [...new Set(html.match(/https?:\/\/[^\s"'<>)]+/g) ?? [])];
    expect(urls.filter((u) => !/^http:\/\/www\.w3\.org\/(2000\/svg|1999\/xlink)$/.test(u))).toEqual([]);
    expect(html).not.toMatch(/<script|<link|<img|src=|@import/);
    expect(html).toContain(`AUC ${record.test!['auc']!.toFixed(3)}`);
  });

  it('draws only what the record holds (a stream-mode run has no test curves or importance)', () => {
    const streamed = runCharts({ ...record, curves: null, importance: null });
    expect(streamed.map((c) => c.id)).toEqual(['learning-curves']);
    const measures = (streamed[0]!.spec as { data: { values: { measure: string; value: number }[] } }).data.values;
    expect(new Set(measures.map((v) => v.measure))).toEqual(new Set(['train loss', 'validation loss', 'validation AUC']));
    expect(measures.filter((v) => v.measure === 'validation AUC').map((v) => v.value)).toEqual(record.history.map((h) => h.validation!['auc']));
  });

  it.skipIf(!HAVE_CHROMIUM)(`renders in headless Chromium without errors${HAVE_CHROMIUM ? '' : ` (skipped: ${CHROMIUM} not found)`}`, async () => {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      const problems: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      page.on('request', (r) => requests.push(r.url()));
      await page.goto(`file://${join(out, 'report.html')}`, { waitUntil: 'load' });
      const figures = await page.$$eval('figure', (fs) =>
        fs.map((f) => {
          const box = f.querySelector('svg')?.getBoundingClientRect();
          return { label: f.getAttribute('aria-label'), width: box?.width ?? 0, height: box?.height ?? 0, text: f.textContent ?? '' };
        }),
      );
      expect(problems).toEqual([]);
      expect(requests.every((u) => u.startsWith('file://'))).toBe(true);
      expect(figures.map((f) => f.label)).toEqual(runCharts(record).map((c) => c.title));
      for (const f of figures) {
        expect(f.width).toBeGreaterThan(100);
        expect(f.height).toBeGreaterThan(100);
        expect(f.text).toContain(f.label);
      }
      expect(await page.$$eval('table', (ts) => ts.length)).toBe(2);
      mkdirSync(SHOTS, { recursive: true });
      await page.screenshot({ path: join(SHOTS, 'fit-report.png'), fullPage: true });
    } finally {
      await browser.close();
    }
  }, 60_000);

  it('without --report, fit still writes run.json (no importance) and no page', async () => {
    const plain = join(dir, 'run-b');
    const r = await runMain(['fit', '--config', path, '--out', plain, '--epochs', '1', '--threads', '1']);
    expect(r.code).toBe(0);
    expect(readdirSync(plain).sort()).toEqual(['checkpoint', 'model', 'run.json']);
    const plainRecord = await readRunRecord(plain);
    expect(plainRecord.history).toHaveLength(1);
    // The test curves come with every fit; permutation importance (a scoring pass per column) with --report only.
    expect(plainRecord.curves).not.toBeNull();
    expect(plainRecord.importance).toBeNull();
  });

  it('--report without vega or vega-lite fails before training, naming the install command', async () => {
    const absent = (name: string) => () => Promise.reject(Object.assign(new Error(`Cannot find package '${name}' imported from x`), { code: 'ERR_MODULE_NOT_FOUND' }));
    const real: ChartLoaders = { vega: () => import('vega'), vegaLite: () => import('vega-lite') };
    const config = parseRunConfig(smallConfig({ rows: 500, epochs: 1 }));
    for (const loaders of [{ ...real, vega: absent('vega') }, { ...real, vegaLite: absent('vega-lite') }]) {
      const target = mkdtempSync(join(tmpdir(), 'wd-novega-'));
      const err = await fitCommand(config, { outDir: target, json: true, resume: false, saveOptimizerState: false, report: true, chartLoaders: loaders }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WideDeepError);
      expect((err as WideDeepError).details.fix).toBe('npm install vega vega-lite');
      expect((err as WideDeepError).message).toContain('widedeep fit --report');
      // Nothing trained or written.
      expect(readdirSync(target)).toEqual([]);
    }
  });
});

describe('readRunRecord', () => {
  it('names the file when it is missing, not JSON, or lacks a field', async () => {
    const d = mkdtempSync(join(tmpdir(), 'wd-record-'));
    await expect(readRunRecord(d)).rejects.toThrow(new RegExp(`${RUN_RECORD_FILE}: no run record in .*fix: give the output directory of a widedeep fit`));
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(d, RUN_RECORD_FILE), '{"format": 1,');
    await expect(readRunRecord(d)).rejects.toMatchObject({ code: 'DATA', details: { file: join(d, RUN_RECORD_FILE) } });
    writeFileSync(join(d, RUN_RECORD_FILE), JSON.stringify({ format: 1, kind: 'fit', name: 'x', createdAt: 'now', config: {}, seed: 1, objective: 'binary', history: {} }));
    await expect(readRunRecord(d)).rejects.toMatchObject({ code: 'DATA', details: { field: 'history' } });
    writeFileSync(join(d, RUN_RECORD_FILE), JSON.stringify({ format: 2, kind: 'fit' }));
    await expect(readRunRecord(d)).rejects.toMatchObject({ code: 'DATA', details: { field: 'format' } });
  });
});
