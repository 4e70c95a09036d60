import type { RowChunk } from '../data/types.js';
import { Utf8Values } from '../data/utf8-values.js';
import { BadRows, listColumn, listItems, numericColumn, requireColumns, rowError, scalarColumn, showValue } from './chunk-access.js';
import type { FittedColumn, FittedNumeric } from './fitted-spec.js';
import { finiteInFloat32, finiteRange, numericOutput } from './float32.js';
import type { MissingStrategy, ResolvedColumn, ResolvedNumeric } from './resolved.js';

/**
 * The row checks shared by fit and transform: one pass per checked column that finds the values no transform
 * can encode (non-finite numbers, numbers that are not finite in float32 once transformed, missing values
 * without a missing strategy, log1p of values <= -1, non-integer identity ids) and hands each bad row to the
 * BadRows sink. Encoders run after these checks and may assume every kept row is valid.
 */

type AnyColumn = ResolvedColumn | FittedColumn;

/** The columns of a resolved features config or of a fitted spec. */
export interface SpecColumns {
  readonly columns: readonly AnyColumn[];
}

/** The data columns a spec reads, with the feature that reads each (for "column not in the data" errors). */
export function sourcesOf(columns: readonly AnyColumn[]): readonly { readonly source: string; readonly usedBy: string }[] {
  // Made once per list of columns: a server transforms every request with one spec.
  let out = sourcesCache.get(columns);
  if (out === undefined) {
    out = columns.flatMap((c) => (c.type === 'crossed' ? [] : [{ source: c.source, usedBy: `${c.type} column '${c.name}'` }]));
    sourcesCache.set(columns, out);
  }
  return out;
}

const sourcesCache = new WeakMap<readonly AnyColumn[], readonly { readonly source: string; readonly usedBy: string }[]>();

/** The data columns a spec reads (feature sources, without the label), each once, in spec order. */
export function inputColumns(spec: { readonly columns: readonly AnyColumn[] }): string[] {
  return [...new Set(sourcesOf(spec.columns).map((s) => s.source))];
}

/**
 * The data columns a CSV reader reads as strings, so that their values keep their text (`02139`, not 2139):
 * the sources of categorical features encoded by vocabulary, given values or hash, and of multi-valued and
 * sequence features split by a separator (crosses read their components' values, so these cover them). An
 * identity-encoded categorical stays numeric, and so does a column a numeric or bucketized feature reads.
 */
export function stringColumns(spec: SpecColumns): string[] {
  const numeric = new Set(numericInputs(spec));
  const text = spec.columns.flatMap((c) => {
    if (c.type === 'categorical') return c.encoding.kind === 'identity' ? [] : [c.source];
    if (c.type === 'multi-valued' || c.type === 'sequence') return c.separator !== null ? [c.source] : [];
    return [];
  });
  for (const c of spec.columns) if (c.type === 'categorical' && c.encoding.kind === 'identity') numeric.add(c.source);
  return [...new Set(text)].filter((s) => !numeric.has(s));
}

/** The data columns the spec reads as numbers: a JSON row must give them as numbers (or null). */
export function numericInputs(spec: { readonly columns: readonly AnyColumn[] }): string[] {
  return [...new Set(spec.columns.flatMap((c) => (c.type === 'numeric' || c.type === 'bucketized' ? [c.source] : [])))];
}

export function checkColumns(chunk: RowChunk, columns: readonly AnyColumn[], bad: BadRows): void {
  requireColumns(chunk, sourcesOf(columns));
  for (const c of columns) {
    switch (c.type) {
      case 'numeric':
        checkNumeric(chunk, c.name, c.source, numericRule(c), bad);
        break;
      case 'bucketized':
        // A bucket id is no float input: any finite number has one.
        checkNumeric(chunk, c.name, c.source, { strategy: 'zero', clip: null, log1p: false, output: null, fill: null }, bad);
        break;
      case 'categorical':
        checkScalar(chunk, c.name, c.source, c.encoding.kind === 'identity', bad);
        break;
      case 'multi-valued':
      case 'sequence':
        checkList(chunk, c.name, c.source, c.separator, c.encoding.kind === 'identity', bad);
        break;
      case 'crossed':
        break;
    }
  }
}

/** What checkNumeric refuses in a column besides Infinity. */
interface NumericRule {
  readonly strategy: MissingStrategy;
  readonly clip: { readonly min: number; readonly max: number } | null;
  readonly log1p: boolean;
  /** What a present value becomes before the float32 store (`numericOutput`); null: always finite, or not known yet. */
  readonly output: ((x: number) => number) | null;
  /** The value missing values are filled with, when known (fit fills mean and median in later). */
  readonly fill: number | null;
}

function numericRule(c: ResolvedNumeric | FittedNumeric): NumericRule {
  const m = c.missing;
  const fill = 'fillValue' in m ? m.fillValue : m.strategy === 'zero' ? 0 : m.strategy === 'constant' ? m.value : null;
  return { strategy: m.strategy, clip: c.clip, log1p: c.log1p, output: numericOutput(c), fill };
}

function checkNumeric(chunk: RowChunk, name: string, source: string, rule: NumericRule, bad: BadRows): void {
  const v = numericColumn(chunk, source, name);
  const { strategy, clip, output } = rule;
  // A clip whose minimum is above -1 already keeps log1p's input in range.
  const checkLog1p = rule.log1p && !(clip !== null && clip.min > -1);
  // Values in [lo, hi] surely stay finite through the transform and the float32 store; the rest are transformed.
  const { lo, hi } = output !== null ? finiteRange(output) : { lo: -Infinity, hi: Infinity };
  const badFill = output !== null && rule.fill !== null && !finiteInFloat32(output(rule.fill));
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    if (x - x === 0) {
      if (checkLog1p && (clip !== null ? Math.min(Math.max(x, clip.min), clip.max) : x) <= -1) markNumeric(bad, chunk, i, source, name, 'log1p', x);
      else if ((x < lo || x > hi) && !finiteInFloat32(output!(x))) markNumeric(bad, chunk, i, source, name, 'float32', x, Math.fround(output!(x)));
    } else if (x !== x) {
      if (strategy === 'error') markNumeric(bad, chunk, i, source, name, 'missing', x);
      else if (badFill) markNumeric(bad, chunk, i, source, name, 'fill', rule.fill!, Math.fround(output!(rule.fill!)));
    } else markNumeric(bad, chunk, i, source, name, 'non-finite', x);
  }
}

type NumericProblem = 'log1p' | 'missing' | 'non-finite' | 'float32' | 'fill';

/**
 * Marks row i bad for a numeric problem with value x (`y`: what the transform made of it). A function of its own
 * so that the loop above creates no closure: a closure over the loop's `i` and `x` makes V8 keep them in a
 * context object, which tripled the loop's cost.
 */
function markNumeric(bad: BadRows, chunk: RowChunk, i: number, source: string, name: string, problem: NumericProblem, x: number, y = x): void {
  bad.mark(i, () => {
    if (problem === 'log1p') return rowError(chunk, i, source, `log1p needs values above -1, got ${x}`, `clip the column (clip: { min: 0, max: ... }) or drop log1p`, name);
    if (problem === 'missing') {
      return rowError(chunk, i, source, `missing value (NaN) and the column has no missing strategy`, `declare missing: { strategy: mean | median | zero | constant } on column '${name}', fix the data, or set onBadRow: skip`, name);
    }
    if (problem === 'float32') {
      return rowError(chunk, i, source, `value ${x} is not finite once transformed and stored as float32 (it becomes ${y})`, `fix the value in the data, clip the column (clip: { min, max }) or use log1p or normalize: quantile, or set onBadRow: skip to leave such rows out`, name);
    }
    if (problem === 'fill') {
      return rowError(chunk, i, source, `missing value, filled with ${x}, which is not finite once transformed and stored as float32 (it becomes ${y})`, `choose another missing strategy or value for column '${name}'`, name);
    }
    return rowError(chunk, i, source, `non-finite value ${x}`, `fix the value in the data, or set onBadRow: skip to leave such rows out`, name);
  });
}

const INTEGER = /^-?\d+$/;

function checkScalar(chunk: RowChunk, name: string, source: string, identity: boolean, bad: BadRows): void {
  const v = scalarColumn(chunk, source, name);
  if (v instanceof Float64Array) {
    for (let i = 0; i < v.length; i++) {
      const x = v[i]!;
      if (x !== x) continue;
      if (x - x !== 0) bad.mark(i, () => rowError(chunk, i, source, `non-finite value ${x}`, 'fix the value in the data, or set onBadRow: skip', name));
      else if (identity && !Number.isInteger(x)) bad.mark(i, () => rowError(chunk, i, source, `identity ids must be integers, got ${x}`, 'fix the value, or use a vocabulary or hashBuckets', name));
    }
  } else if (identity) {
    const strings = v instanceof Utf8Values ? v.strings() : v;
    for (let i = 0; i < strings.length; i++) {
      const s = strings[i];
      if (s !== null && s !== undefined && !INTEGER.test(s)) {
        bad.mark(i, () => rowError(chunk, i, source, `identity ids must be integers, got ${showValue(s)}`, 'fix the value, or use a vocabulary or hashBuckets', name));
      }
    }
  }
}

function checkList(chunk: RowChunk, name: string, source: string, separator: string | null, identity: boolean, bad: BadRows): void {
  const v = listColumn(chunk, source, name, separator);
  for (let i = 0; i < v.length; i++) {
    const cell = v[i];
    if (cell === null || cell === undefined) continue;
    if (typeof cell !== 'string' && !Array.isArray(cell)) {
      bad.mark(i, () => rowError(chunk, i, source, `expected a list, got ${showValue(cell)}`, 'give a list of strings', name));
      continue;
    }
    if (!identity) continue;
    const items = listItems(cell, separator);
    const wrong = items.find((s) => !INTEGER.test(s));
    if (wrong !== undefined) bad.mark(i, () => rowError(chunk, i, source, `identity ids must be integers, got ${showValue(wrong)}`, 'fix the value, or use a vocabulary or hashBuckets', name));
  }
}
