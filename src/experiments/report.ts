import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { WideDeepError } from '../core/errors.js';
import { type Chart, calibrationChart, histogramChart, importanceChart, learningCurvesChart, longTailChart, metricBarsChart, prChart, rocChart } from './charts.js';
import { renderSvg } from './render.js';
import { readResults } from './results-file.js';
import { bySuite, summarizeSuite } from './summary.js';
import { type Table, longTailTable, resultsTable, toMarkdown } from './tables.js';
import type { TrialRecord } from './trial.js';

export interface ReportOutput {
  /** The self-contained HTML page. */
  readonly html: string;
  /** Every SVG file written, one per chart. */
  readonly svgs: readonly string[];
  /** The results tables as Markdown (also written to results.md). */
  readonly markdown: string;
  readonly charts: readonly { readonly suite: string; readonly id: string; readonly title: string; readonly file: string }[];
}

/** Escapes text for HTML content and attribute values. */
export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function slug(s: string): string {
  return s.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '').toLowerCase() || 'suite';
}

/** A table as an HTML table with its caption and note (numbers right-aligned). */
export function tableHtml(t: Table): string {
  const head = t.header.map((h, j) => `<th class="${t.numeric[j] ? 'num' : ''}">${esc(h)}</th>`).join('');
  const body = t.rows.map((r) => `<tr>${r.map((c, j) => `<td class="${t.numeric[j] ? 'num' : ''}">${esc(c)}</td>`).join('')}</tr>`).join('\n');
  return `<table><caption>${esc(t.title)}</caption><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>${t.note ? `<p class="note">${esc(t.note)}</p>` : ''}`;
}

/** Charts of one suite, in page order. */
export function suiteCharts(suite: string, records: readonly TrialRecord[]): Chart[] {
  const summary = summarizeSuite(records);
  const charts = [
    metricBarsChart(summary),
    learningCurvesChart(suite, records),
    rocChart(summary, records),
    prChart(summary, records),
    calibrationChart(summary, records),
    histogramChart(summary, records),
    importanceChart(summary, records),
    longTailChart(suite, records),
  ];
  if (summary.metric !== 'test.auc') {
    const auc = summarizeSuite(records, { metric: 'test.auc' });
    if (auc.variants.some((v) => Number.isFinite(v.mean))) charts.splice(1, 0, metricBarsChart(auc));
  }
  return charts.filter((c): c is Chart => c !== null);
}

/** The report's stylesheet (inlined: the page loads nothing). */
export const REPORT_CSS = `
body { font-family: Helvetica, Arial, sans-serif; margin: 2rem auto; max-width: 1400px; color: #222; padding: 0 1rem; }
h1 { font-size: 1.6rem; } h2 { border-bottom: 1px solid #ddd; padding-bottom: .3rem; margin-top: 2.5rem; }
table { border-collapse: collapse; margin: 1rem 0 .3rem; font-size: .85rem; }
caption { text-align: left; font-weight: bold; padding-bottom: .4rem; }
th, td { border-bottom: 1px solid #e5e5e5; padding: .25rem .6rem; text-align: left; white-space: nowrap; }
th { background: #f6f6f6; } td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.note { font-size: .8rem; color: #555; margin: 0 0 1rem; }
.charts { display: flex; flex-wrap: wrap; gap: 1.5rem; align-items: flex-start; }
figure { margin: 0; } figure svg { max-width: 100%; height: auto; }
nav a { margin-right: 1rem; }
`;

/**
 * Writes the report of a results file into `outDir`: index.html (self-contained: inline CSS and SVGs, no
 * scripts, nothing loaded from the network), one SVG file per chart and results.md with the tables.
 */
export async function writeReport(resultsFile: string, outDir: string): Promise<ReportOutput> {
  const records = readResults(resultsFile);
  if (records.length === 0) throw new WideDeepError('DATA', 'the results file holds no trials', { file: resultsFile, fix: 'run widedeep experiment first' });
  mkdirSync(outDir, { recursive: true });
  const svgs: string[] = [];
  const charts: { suite: string; id: string; title: string; file: string }[] = [];
  const sections: string[] = [];
  const markdown: string[] = [];
  const suites = bySuite(records);
  for (const [suite, rs] of suites) {
    const tables = [resultsTable(summarizeSuite(rs))];
    const lt = longTailTable(rs);
    if (lt) tables.push(lt);
    markdown.push(`## ${suite}\n`, ...tables.map(toMarkdown));
    const figures: string[] = [];
    for (const chart of suiteCharts(suite, rs)) {
      const name = `${slug(suite)}-${chart.id}`;
      const svg = await renderSvg(chart.spec, `${name}-`);
      const file = join(outDir, `${name}.svg`);
      writeFileSync(file, svg);
      svgs.push(file);
      charts.push({ suite, id: chart.id, title: chart.title, file });
      figures.push(`<figure data-chart="${esc(name)}" aria-label="${esc(chart.title)}">${svg}</figure>`);
    }
    const failed = rs.filter((r) => r.status !== 'ok');
    const failures = failed.length > 0 ? `<p class="note">Failed trials: ${failed.map((r) => esc(`${r.variant} seed ${r.seed}: ${r.error ?? ''}`)).join('; ')}</p>` : '';
    sections.push(`<section id="${slug(suite)}"><h2>${esc(suite)}</h2>\n${tables.map(tableHtml).join('\n')}${failures}\n<div class="charts">\n${figures.join('\n')}\n</div></section>`);
  }
  const nav = [...suites.keys()].map((s) => `<a href="#${slug(s)}">${esc(s)}</a>`).join('');
  const versions = [...new Set(records.map((r) => `widedeep ${r.library.version}, node ${r.node}`))].join('; ');
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>widedeep experiments: ${esc(basename(resultsFile))}</title><style>${REPORT_CSS}</style></head>
<body><h1>widedeep experiments</h1>
<p class="note">${records.length} trials from ${esc(basename(resultsFile))} (${esc(versions)}).</p>
<nav>${nav}</nav>
${sections.join('\n')}
</body></html>
`;
  const htmlFile = join(outDir, 'index.html');
  writeFileSync(htmlFile, html);
  const md = markdown.join('\n');
  writeFileSync(join(outDir, 'results.md'), md);
  return { html: htmlFile, svgs, markdown: md, charts };
}
