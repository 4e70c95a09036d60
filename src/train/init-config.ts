import { stringify } from 'yaml';
import { WideDeepError } from '../core/errors.js';
import { valuesArray } from '../data/chunk.js';
import type { ColumnProfile, TableProfile } from '../data/profile.js';
import type { RowChunk } from '../data/types.js';

/**
 * `widedeep init`: a commented run config written from a profile of the data (src/data/profile.ts), by rules
 * that train well without tuning:
 * - the label's kind from its values: two values -> binary (the rarer one positive), a number -> regression,
 *   3-100 strings -> multiclass;
 * - categoricals: a fitted vocabulary up to 1,000 values, hash buckets (2x the values) above; embedding size
 *   min(16, round(1.6 * card^0.56)) (fastai's rule, capped); a column unique per row (an id) is left out,
 *   and an integer column named like a code (zip, *_id) is a category read as text;
 * - numerics: standardized, log1p first for a heavy right tail (skewness > 2, no negatives), the median for
 *   missing values (with an indicator); beside each, buckets at its deciles for the wide part and embeddings;
 * - crosses: the pairs of low-cardinality columns whose joint value says most about the label beyond either
 *   alone (smoothed between-group variance of the label), for the wide part;
 * - early stopping on validation (AUC, RMSE or accuracy) with the best epoch restored.
 */
export interface InitOptions {
  /** The label column. */
  readonly label: string;
  /** `data.train` of the config: the file and the reader options it was read with. */
  readonly train: Record<string, unknown>;
  /** `data.test`, when there is a test file. */
  readonly test?: Record<string, unknown>;
  /** Path of schema/widedeep-config.schema.json from the config's directory, for the editor line. */
  readonly schema?: string;
}

const VOCABULARY_MAX = 1000;
/** Names of numeric columns that are codes, not quantities. */
const CODE_NAME = /(^|_)(id|zip|zipcode|postcode|postal_code|code)$/i;
const CROSS_MAX_CARD = 100;
const CROSSES = 3;
/** Pseudo-rows of the overall label mean added to every group (m-estimate), so rare groups do not score high. */
const SMOOTHING = 20;

type Col = Record<string, unknown>;
interface Line {
  readonly column: Col;
  readonly note: string;
}

export function embeddingDim(cardinality: number): number {
  return Math.max(2, Math.min(16, Math.round(1.6 * cardinality ** 0.56)));
}

/** The config text for rows of `profile`, with comments saying what each choice is based on. */
export function initConfig(profile: TableProfile, rows: RowChunk, options: InitOptions): string {
  const labelProfile = profile.columns.find((c) => c.name === options.label);
  if (labelProfile === undefined) {
    throw new WideDeepError('CONFIG', `no column ${options.label} in ${profile.source}`, { field: '--label', fix: `the columns are: ${profile.columns.map((c) => c.name).join(', ')}` });
  }
  const label = labelOf(labelProfile);
  const y = targetOf(rows, label);
  const lines: Line[] = [];
  const skipped: string[] = [];
  const groups = new Map<string, Int32Array>();
  let timeColumn: string | null = null;
  let userColumn: string | null = null;
  const readAsText: string[] = [];
  for (const c of profile.columns) {
    if (c.name === options.label) continue;
    const present = c.rows - c.missing;
    if (c.distinct <= 1) {
      skipped.push(`${c.name}: one value only`);
      continue;
    }
    if (c.kind === 'numeric' && /(^|_)(time|timestamp|date|datetime|ts)$/i.test(c.name)) {
      timeColumn = c.name;
      skipped.push(`${c.name}: a time column (not a feature; see the train section)`);
      continue;
    }
    if (/(^|_)(user|customer|member|account|visitor)(_?id)?$/i.test(c.name)) userColumn = c.name;
    if (c.kind === 'list') {
      lines.push({ column: { type: 'multi-valued', name: c.name, embeddingDim: embeddingDim(c.distinct), ...idEncoding(c.distinct) }, note: `${c.distinct} distinct items` });
      continue;
    }
    if (c.kind === 'categorical') {
      if (c.distinct > 1000 && c.distinct > 0.95 * present) {
        skipped.push(`${c.name}: ${c.distinct} distinct values in ${present} rows, an id of the row`);
        continue;
      }
      lines.push({ column: { type: 'categorical', name: c.name, embeddingDim: embeddingDim(c.distinct), ...idEncoding(c.distinct) }, note: `${c.distinct} distinct${missingNote(c)}` });
      if (c.distinct <= CROSS_MAX_CARD) groups.set(c.name, groupIds(valuesArray(rows.columns.get(c.name) as never) as readonly (string | null)[]));
      continue;
    }
    if (c.numeric?.integer === true && CODE_NAME.test(c.name)) {
      // A zip or other code read as a number: a category (read as text, so that 02139 keeps its 0).
      readAsText.push(c.name);
      lines.push({ column: { type: 'categorical', name: c.name, embeddingDim: embeddingDim(c.distinct), ...idEncoding(c.distinct) }, note: `${c.distinct} distinct codes, read as text${missingNote(c)}` });
      continue;
    }
    lines.push(...numericLines(c, rows, groups));
  }
  const crosses = bestCrosses(groups, y);
  for (const x of crosses) {
    lines.push({ column: { type: 'crossed', name: x.names.join('_x_'), components: x.names, hashBuckets: x.buckets }, note: `label gain ${x.gain.toPrecision(2)} over the best of its components` });
  }
  const text = readAsText.length > 0 ? { columns: Object.fromEntries(readAsText.map((n) => [n, 'categorical'])) } : {};
  const files = { ...options, train: { ...options.train, ...text }, ...(options.test ? { test: { ...options.test, ...text } } : {}) };
  return render(profile, files, label, lines, skipped, { time: timeColumn, user: userColumn });
}

interface Label {
  readonly config: Col;
  readonly note: string;
}

function labelOf(c: ColumnProfile): Label {
  const values = c.top.map((t) => t.value);
  if (c.kind === 'numeric') {
    if (c.distinct === 2 && values.every((v) => v === '0' || v === '1')) return { config: { kind: 'binary', column: c.name }, note: 'values 0 and 1' };
    if (c.distinct === 2) {
      const [pos, neg] = [...c.top].sort((a, b) => a.count - b.count);
      return { config: { kind: 'binary', column: c.name, positive: [pos?.value], negative: [neg?.value] }, note: 'two values; the rarer is positive' };
    }
    return { config: { kind: 'regression', column: c.name }, note: `a number from ${c.numeric?.min} to ${c.numeric?.max}` };
  }
  if (c.distinct === 2) {
    const [pos, neg] = [...c.top].sort((a, b) => a.count - b.count);
    return { config: { kind: 'binary', column: c.name, positive: [pos?.value], negative: [neg?.value] }, note: `two values; the rarer (${pos?.count} of ${c.rows - c.missing} rows) is positive` };
  }
  if (c.distinct >= 3 && c.distinct <= 100) return { config: { kind: 'multiclass', column: c.name }, note: `${c.distinct} classes` };
  throw new WideDeepError('CONFIG', `the label ${c.name} has ${c.distinct} distinct values: not a binary, regression or multi-class target`, {
    field: '--label',
    fix: 'name a column of two values, of numbers, or of 3 to 100 classes',
  });
}

/** The label as a number per row for scoring crosses (multiclass: the most frequent class or not); NaN = missing. */
function targetOf(rows: RowChunk, label: Label): Float64Array {
  const raw = valuesArray(rows.columns.get(label.config.column as string) as never) as Float64Array | readonly (string | null)[];
  const positive = (label.config.positive as string[] | undefined)?.[0];
  const y = new Float64Array(rows.numRows);
  const first = raw instanceof Float64Array ? null : raw.find((v) => v !== null);
  for (let i = 0; i < rows.numRows; i++) {
    const v = raw[i];
    if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) y[i] = Number.NaN;
    else if (positive !== undefined) y[i] = String(v) === positive ? 1 : 0;
    else if (typeof v === 'number') y[i] = v;
    else y[i] = v === first ? 1 : 0;
  }
  return y;
}

function idEncoding(distinct: number): Col {
  return distinct <= VOCABULARY_MAX ? {} : { hashBuckets: Math.min(1_000_000, Math.ceil((2 * distinct) / 1000) * 1000) };
}

function missingNote(c: ColumnProfile): string {
  return c.missing > 0 ? `, ${((100 * c.missing) / c.rows).toFixed(1)}% missing` : '';
}

/** A numeric column: standardized (log1p first for a heavy tail), and its decile buckets for the wide part. */
function numericLines(c: ColumnProfile, rows: RowChunk, groups: Map<string, Int32Array>): Line[] {
  const p = c.numeric;
  if (p === undefined) return [];
  const heavy = p.min >= 0 && p.skewness > 2;
  const missing = c.missing > 0 ? { missing: { strategy: 'median', indicator: true } } : {};
  const range = `${round(p.min)} to ${round(p.max)}, skewness ${p.skewness.toFixed(1)}${missingNote(c)}`;
  const out: Line[] = [{ column: { type: 'numeric', name: c.name, ...(heavy ? { log1p: true } : {}), normalize: 'standardize', ...missing }, note: `${range}${heavy ? ' (heavy tail: log1p)' : ''}` }];
  const boundaries = bucketBoundaries(c);
  if (boundaries.length >= 1 && c.distinct > 2) {
    const name = `${c.name}_buckets`;
    out.push({ column: { type: 'bucketized', name, source: c.name, boundaries, feeds: ['wide', 'deep'], embeddingDim: embeddingDim(boundaries.length + 1) }, note: p.zeros > 0.5 ? `${(100 * p.zeros).toFixed(0)}% zeros: 0 alone, then the quartiles of the rest` : 'deciles' });
    if (boundaries.length + 1 <= CROSS_MAX_CARD) {
      const x = valuesArray(rows.columns.get(c.name) as never) as Float64Array;
      const ids = new Int32Array(x.length);
      for (let i = 0; i < x.length; i++) ids[i] = Number.isNaN(x[i] as number) ? 0 : 1 + boundaries.filter((b) => (x[i] as number) >= b).length;
      groups.set(name, ids);
    }
  }
  return out;
}

/** Decile boundaries (distinct, 3 significant digits); for a mostly-zero column, 0 alone then the quartiles of the rest. */
function bucketBoundaries(c: ColumnProfile): number[] {
  const p = c.numeric as NonNullable<ColumnProfile['numeric']>;
  const qs = p.zeros > 0.5 ? [] : [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9].map((q) => round(p.quantile(q)));
  if (p.zeros > 0.5) {
    // The quantiles of the non-zero values, from the quantiles of all values above the zeros' share.
    const rest = [0.25, 0.5, 0.75].map((q) => round(p.quantile(p.zeros + q * (1 - p.zeros))));
    qs.push(p.min < 0 ? 0 : Math.min(1, ...rest.filter((r) => r > 0)), ...rest);
  }
  return [...new Set(qs)].filter((b) => b > p.min && b <= p.max).sort((a, b) => a - b);
}

function round(x: number): number {
  return Number(x.toPrecision(3));
}

/** Group ids of a string column: 0 for missing, 1.. per distinct value. */
function groupIds(values: readonly (string | null)[]): Int32Array {
  const ids = new Map<string, number>();
  const out = new Int32Array(values.length);
  values.forEach((v, i) => {
    if (v === null) return;
    let id = ids.get(v);
    if (id === undefined) ids.set(v, (id = ids.size + 1));
    out[i] = id;
  });
  return out;
}

/** How much knowing the group tells about y: the smoothed between-group variance of y. */
function association(keys: ArrayLike<number>, y: Float64Array): number {
  let total = 0;
  let n = 0;
  const sums = new Map<number, [number, number]>();
  for (let i = 0; i < y.length; i++) {
    const v = y[i] as number;
    if (Number.isNaN(v)) continue;
    total += v;
    n += 1;
    const k = keys[i] as number;
    const s = sums.get(k);
    if (s) {
      s[0] += v;
      s[1] += 1;
    } else sums.set(k, [v, 1]);
  }
  if (n === 0) return 0;
  const mu = total / n;
  let between = 0;
  for (const [sum, count] of sums.values()) between += count * ((sum + SMOOTHING * mu) / (count + SMOOTHING) - mu) ** 2;
  return between / n;
}

function bestCrosses(groups: ReadonlyMap<string, Int32Array>, y: Float64Array): { names: string[]; gain: number; buckets: number }[] {
  const names = [...groups.keys()];
  const single = new Map(names.map((n) => [n, association(groups.get(n) as Int32Array, y)]));
  const pairs: { names: string[]; gain: number; buckets: number }[] = [];
  for (let a = 0; a < names.length; a++) {
    for (let b = a + 1; b < names.length; b++) {
      const [na, nb] = [names[a] as string, names[b] as string];
      const ga = groups.get(na) as Int32Array;
      const gb = groups.get(nb) as Int32Array;
      const width = gb.reduce((m, v) => Math.max(m, v), 0) + 1;
      const keys = ga.map((v, i) => v * width + (gb[i] as number));
      const gain = association(keys, y) - Math.max(single.get(na) ?? 0, single.get(nb) ?? 0);
      const card = new Set(keys).size;
      pairs.push({ names: [na, nb], gain, buckets: Math.min(100_000, Math.max(1000, Math.ceil((4 * card) / 1000) * 1000)) });
    }
  }
  // The best pairs, each column in one cross at most (a column's best partners tend to say the same thing).
  const chosen: typeof pairs = [];
  const used = new Set<string>();
  for (const p of pairs.filter((x) => x.gain > 0).sort((x, y) => y.gain - x.gain)) {
    if (chosen.length === CROSSES) break;
    if (p.names.some((n) => used.has(n))) continue;
    chosen.push(p);
    for (const n of p.names) used.add(n);
  }
  return chosen;
}

/** One YAML flow mapping on one line: `{ type: categorical, name: x }`. */
function flow(o: unknown): string {
  return stringify(o, { collectionStyle: 'flow', lineWidth: 0 }).trim();
}

function render(profile: TableProfile, options: InitOptions, label: Label, lines: readonly Line[], skipped: readonly string[], found: { time: string | null; user: string | null }): string {
  // Comments line up, except after the longest lines.
  const w = Math.min(100, Math.max(...lines.map((l) => flow(l.column).length)));
  const model = label.config.kind === 'regression' ? { metric: 'rmse', mode: 'min' } : label.config.kind === 'multiclass' ? { metric: 'accuracy', mode: 'max' } : { metric: 'auc', mode: 'max' };
  const data = { dataset: 'files', train: options.train, ...(options.test ? { test: options.test } : { testFraction: 0.2 }) };
  const out = [
    ...(options.schema !== undefined ? [`# yaml-language-server: $schema=${options.schema}`] : []),
    `# Written by \`widedeep init\` from ${profile.rows} rows of ${profile.source}: check it, then`,
    '#   npx widedeep fit --config <this file>',
    '# Categoricals: a vocabulary up to 1000 values, hash buckets above; embeddings min(16, 1.6 * card^0.56).',
    '# Numerics: standardized (log1p for heavy tails), plus decile buckets for the wide part; crosses: the pairs',
    '# of low-cardinality columns that say most about the label beyond either alone.',
    ...(skipped.length > 0 ? ['# Left out:', ...skipped.map((s) => `#   ${s}`)] : []),
    `description: Wide & Deep on ${options.label}, written by widedeep init`,
    'seed: 42',
    stringify({ data }, { lineWidth: 0 }).trimEnd(),
    'features:',
    '  columns:',
    ...lines.map((l) => `    - ${flow(l.column).padEnd(w)}  # ${l.note}`),
    `  label: ${flow(label.config)}  # ${label.note}`,
    'model:',
    '  kind: wide_deep',
    '  deep: { type: mlp, hidden: [100, 50], activation: relu }',
    '  optimizers:',
    '    wide: { type: ftrl, alpha: 1.0, l1: 0.001 }     # FTRL-Proximal for the sparse wide weights (the paper)',
    '    embeddings: { type: lazy-adam, lr: 0.001 }',
    '    deep: { type: adam, lr: 0.001 }',
    'train:',
    '  epochs: 30',
    '  batchSize: 256',
    '  validationFraction: 0.1',
    ...(found.time !== null
      ? [
          `  # ${found.time} is a time column${found.user !== null ? ` and ${found.user} a user column` : ''}: validation here is a random 10% of the training rows.`,
          '  # To ask what production asks (later rows), give a test file of the latest rows (data.test); a per-user',
          '  # time split (validationSplit: per-user-time) applies to the built-in datasets with users and time.',
        ]
      : []),
    `  earlyStopping: { metric: ${model.metric}, mode: ${model.mode}, patience: 2, restoreBest: true }`,
    '',
  ];
  return out.join('\n');
}
