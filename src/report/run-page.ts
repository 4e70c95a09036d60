import { join } from 'node:path';
import type { Chart } from '../experiments/charts.js';
import { type ChartLoaders, renderSvg } from '../experiments/render.js';
import { REPORT_CSS, esc, tableHtml } from '../experiments/report.js';
import { type Table, fmt } from '../experiments/tables.js';
import { writeFileAtomic } from '../artifact/atomic-file.js';
import { runCharts } from './run-charts.js';
import type { RunRecord } from './run-record.js';

/**
 * The page of one fit (`widedeep fit --report` writes it as `<out>/report.html`): one self-contained HTML file
 * (inline CSS and SVG, no script, nothing fetched) drawn from the run record alone: a header (config, data,
 * seed, time, rows/s), the metrics table, the charts of runCharts, and the parameter counts.
 */
export const RUN_PAGE_FILE = 'report.html';

/** Validation and test metrics side by side, one row per metric either has. */
export function metricsTable(record: RunRecord): Table {
  const keys = [...new Set([...Object.keys(record.validation ?? {}), ...Object.keys(record.test ?? {})])];
  const cell = (m: RunRecord['test'], k: string) => {
    const v = m?.[k];
    return v === undefined ? '-' : Number.isInteger(v) ? String(v) : fmt(v);
  };
  return {
    title: 'Metrics',
    header: ['metric', 'validation', 'test'],
    rows: keys.map((k) => [k, cell(record.validation, k), cell(record.test, k)]),
    numeric: [false, true, true],
    note: record.refit ? `Validation: the early-stopped model; test: the model refitted on all ${record.refit.rows} training rows for ${record.refit.epochs} epochs.` : '',
  };
}

/** Weights per parameter group, then per tensor. */
export function parametersTable(record: RunRecord): Table {
  const groups = new Map<string, number>();
  for (const p of record.parameters) groups.set(p.group, (groups.get(p.group) ?? 0) + p.count);
  const total = [...groups.values()].reduce((a, b) => a + b, 0);
  const n = (v: number) => v.toLocaleString('en-US');
  return {
    title: 'Parameters',
    header: ['tensor', 'group', 'weights'],
    rows: [...[...groups].map(([g, c]) => [`all ${g}`, g, n(c)]), ['total', '', n(total)], ...record.parameters.map((p) => [p.tensor, p.group, n(p.count)])],
    numeric: [false, false, true],
    note: 'float32 weights the model predicts with (optimizer state not counted)',
  };
}

/** What the run read: the dataset or files named by the config. */
function dataOf(record: RunRecord): string {
  const d = record.config['data'] as Record<string, unknown> | undefined;
  if (!d) return '-';
  const train = d['train'] as { path?: unknown } | undefined;
  const file = typeof train?.path === 'string' ? `: ${train.path}` : '';
  return `${String(d['dataset'] ?? '-')}${file}`;
}

function header(record: RunRecord): string {
  const rows = record.rowsPerSec === null ? '-' : Math.round(record.rowsPerSec).toLocaleString('en-US');
  const facts: [string, string][] = [
    ['data', dataOf(record)],
    ['objective', record.objective],
    ['seed', String(record.seed)],
    ['written', record.createdAt],
    ['fit time', `${record.seconds.toFixed(1)} s`],
    ['training rows/s', rows],
    ['threads', String(record.threads)],
    ['epochs', String(record.history.length + (record.refit?.history.length ?? 0))],
    ['library', `widedeep ${record.library.version}, node ${record.node}`],
  ];
  return `<dl class="facts">${facts.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('')}</dl>`;
}

const PAGE_CSS = `${REPORT_CSS}
dl.facts { display: grid; grid-template-columns: max-content auto; gap: .15rem 1rem; font-size: .9rem; }
dl.facts dt { color: #555; } dl.facts dd { margin: 0; }
`;

/** The page's HTML from the record and each chart's rendered SVG (same order as `charts`). */
export function runPageHtml(record: RunRecord, charts: readonly Chart[], svgs: readonly string[]): string {
  const figures = charts.map((c, i) => `<figure data-chart="${esc(c.id)}" aria-label="${esc(c.title)}">${svgs[i] ?? ''}</figure>`);
  const none = record.curves ? '' : '<p class="note">No test curves: the run held no test rows (data.stream) or its objective is not binary.</p>';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>widedeep run: ${esc(record.name)}</title><style>${PAGE_CSS}</style></head>
<body><h1>widedeep run: ${esc(record.name)}</h1>
${header(record)}
${tableHtml(metricsTable(record))}
<h2>Charts</h2>${none}
<div class="charts">
${figures.join('\n')}
</div>
<h2>Model</h2>
${tableHtml(parametersTable(record))}
</body></html>
`;
}

/** Renders the run's charts and writes `<outDir>/report.html` atomically; returns its path and the charts drawn. */
export async function writeRunPage(record: RunRecord, outDir: string, load?: ChartLoaders): Promise<{ file: string; charts: Chart[] }> {
  const charts = runCharts(record);
  const svgs: string[] = [];
  for (const c of charts) svgs.push(await renderSvg(c.spec, `${c.id}-`, load));
  const file = join(outDir, RUN_PAGE_FILE);
  await writeFileAtomic(file, runPageHtml(record, charts, svgs));
  return { file, charts };
}
