import { mean } from './stats.js';
import { bySuite, metricOf, summarizeSuite, type SuiteSummary, variantsOf } from './summary.js';
import type { TrialRecord } from './trial.js';

/** A table as plain cells: the Markdown, terminal and HTML renderers all start from this. */
export interface Table {
  readonly title: string;
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
  /** Columns to right-align (numbers). */
  readonly numeric: readonly boolean[];
  readonly note?: string;
}

export function fmt(v: number | null | undefined, digits = 4): string {
  if (v === null || v === undefined || Number.isNaN(v)) return '-';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  return v.toFixed(digits);
}

/** A signed difference; one significant digit when it would round to zero at `digits` decimals. */
function fmtSigned(v: number | null, digits = 4): string {
  if (v === null || Number.isNaN(v)) return '-';
  const sign = v >= 0 ? '+' : '-';
  const a = Math.abs(v);
  return `${sign}${a > 0 && a < 0.5 * 10 ** -digits ? a.toPrecision(1) : a.toFixed(digits)}`;
}

export function fmtP(p: number | null): string {
  if (p === null || Number.isNaN(p)) return '-';
  if (p < 0.001) return '<0.001';
  return p.toFixed(3);
}

function fmtCount(v: number): string {
  return Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : '-';
}

/** The results table of a suite: mean +- std per variant, the paired difference to the baseline, cost. */
export function resultsTable(s: SuiteSummary): Table {
  const rows = s.variants.map((v) => [
    v.isBaseline ? `${v.variant} (baseline)` : v.variant,
    String(v.values.length),
    `${fmt(v.mean)} ± ${fmt(v.std)}`,
    v.isBaseline ? '-' : fmtSigned(v.diff),
    v.isBaseline ? '-' : fmt(v.t, 2),
    v.isBaseline ? '-' : fmtP(v.p),
    fmtCount(v.rowsPerSec),
    fmt(v.seconds, 1),
  ]);
  return {
    title: `${s.suite}: ${s.metric} (${s.higherIsBetter ? 'higher' : 'lower'} is better)`,
    header: ['variant', 'seeds', `${s.metric} mean ± std`, 'Δ vs baseline', 't', 'p (paired t)', 'train rows/s', 'trial s'],
    rows,
    numeric: [false, true, true, true, true, true, true, true],
    note: `Paired t-test over seeds against ${s.baseline} (two-sided, df = seeds - 1).${s.failed > 0 ? ` ${s.failed} trial(s) failed and are left out.` : ''}`,
  };
}

const LONG_TAIL_COLUMNS: readonly [string, string, number][] = [
  ['test AUC', 'test.auc', 4],
  ['AUC, pair rows', 'longTail.pairAuc', 4],
  ['AUC, other rows', 'longTail.noPairAuc', 4],
  ['pair effect', 'longTail.pairEffect', 2],
  ['boost effect', 'longTail.boostEffect', 2],
  ['latent corr', 'longTail.latentCorr', 3],
  ['coverage', 'longTail.coverage', 3],
  ['tail share', 'longTail.tailShare', 3],
  ['novelty (bits)', 'longTail.novelty', 2],
  ['true p of recs', 'longTail.meanTrueProb', 3],
  ['overlap w/ true top-k', 'longTail.overlapWithTruth', 3],
];

/** The long-tail table of a synthetic suite: means over seeds per variant, plus the truth's own lists. */
export function longTailTable(records: readonly TrialRecord[]): Table | null {
  const groups = variantsOf(records).filter((g) => g.records.some((r) => r.longTail));
  if (groups.length === 0) return null;
  const rows = groups.map((g) => [g.variant, ...LONG_TAIL_COLUMNS.map(([, path, d]) => fmt(mean(g.records.map((r) => metricOf(r, path))), d))]);
  const all = groups.flatMap((g) => g.records);
  const truth = (path: string) => mean(all.map((r) => metricOf(r, path)));
  rows.push([
    'truth (oracle)',
    fmt(truth('longTail.oracleAuc')),
    '-',
    '-',
    fmt(truth('longTail.pairEffectTrue'), 2),
    fmt(truth('longTail.boostEffectTrue'), 2),
    '1.000',
    fmt(truth('longTail.oracle.coverage'), 3),
    fmt(truth('longTail.oracle.tailShare'), 3),
    fmt(truth('longTail.oracle.novelty'), 2),
    fmt(truth('longTail.oracle.meanTrueProb'), 3),
    '1.000',
  ]);
  const lt = all[0]?.longTail;
  return {
    title: `${records[0]?.suite ?? ''}: planted effects and long-tail coverage`,
    header: ['variant', ...LONG_TAIL_COLUMNS.map(([h]) => h)],
    rows,
    numeric: [false, ...LONG_TAIL_COLUMNS.map(() => true)],
    note: lt
      ? `Means over seeds. Top-${lt.k} lists for ${lt.users} sampled users over ${lt.numApps} apps; the tail is every app outside the ${lt.headSize} most popular ones. Pair/boost effect: the model's logit shift for a planted pair / country x category boost (truth in the last row).`
      : '',
  };
}

function escapeCell(s: string): string {
  return s.replace(/\|/g, '\\|');
}

export function toMarkdown(t: Table): string {
  const lines = [`**${t.title}**`, '', `| ${t.header.map(escapeCell).join(' | ')} |`, `|${t.numeric.map((n) => (n ? '---:' : '---')).join('|')}|`];
  for (const r of t.rows) lines.push(`| ${r.map(escapeCell).join(' | ')} |`);
  if (t.note) lines.push('', t.note);
  return `${lines.join('\n')}\n`;
}

/** Fixed-width text for a terminal. */
export function toTerminal(t: Table): string {
  const widths = t.header.map((h, j) => Math.max(h.length, ...t.rows.map((r) => (r[j] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, j) => (t.numeric[j] ? c.padStart(widths[j] as number) : c.padEnd(widths[j] as number))).join('  ').trimEnd();
  const out = [t.title, line(t.header), widths.map((w) => '-'.repeat(w)).join('  '), ...t.rows.map(line)];
  if (t.note) out.push(t.note);
  return `${out.join('\n')}\n`;
}

/** Every table of a results file (per suite: results, then long-tail when present) as Markdown or terminal text. */
export function formatResults(records: readonly TrialRecord[], as: 'markdown' | 'terminal'): string {
  const render = as === 'markdown' ? toMarkdown : toTerminal;
  const out: string[] = [];
  for (const rs of bySuite(records).values()) {
    out.push(render(resultsTable(summarizeSuite(rs))));
    const lt = longTailTable(rs);
    if (lt) out.push(render(lt));
  }
  return out.join('\n');
}
