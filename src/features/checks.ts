import type { RowChunk } from '../data/types.js';
import { Utf8Values } from '../data/utf8-values.js';
import { BadRows, listColumn, listItems, numericColumn, requireColumns, rowError, scalarColumn, showValue } from './chunk-access.js';
import type { FittedColumn } from './fitted-spec.js';
import type { MissingStrategy, ResolvedColumn } from './resolved.js';

/**
 * The row checks shared by fit and transform: one pass per checked column that finds the values no transform
 * can encode (non-finite numbers, missing values without a missing strategy, log1p of values <= -1,
 * non-integer identity ids) and hands each bad row to the BadRows sink. Encoders run after these checks and
 * may assume every kept row is valid.
 */

type AnyColumn = ResolvedColumn | FittedColumn;

/** The data columns a spec reads, with the feature that reads each (for "column not in the data" errors). */
export function sourcesOf(columns: readonly AnyColumn[]): { source: string; usedBy: string }[] {
  const out: { source: string; usedBy: string }[] = [];
  for (const c of columns) if (c.type !== 'crossed') out.push({ source: c.source, usedBy: `${c.type} column '${c.name}'` });
  return out;
}

/** The data columns a spec reads (feature sources, without the label), each once, in spec order. */
export function inputColumns(spec: { readonly columns: readonly AnyColumn[] }): string[] {
  return [...new Set(sourcesOf(spec.columns).map((s) => s.source))];
}

export function checkColumns(chunk: RowChunk, columns: readonly AnyColumn[], bad: BadRows): void {
  requireColumns(chunk, sourcesOf(columns));
  for (const c of columns) {
    switch (c.type) {
      case 'numeric':
        checkNumeric(chunk, c.name, c.source, c.missing.strategy, c.clip, c.log1p, bad);
        break;
      case 'bucketized':
        checkNumeric(chunk, c.name, c.source, 'zero', null, false, bad);
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

function checkNumeric(
  chunk: RowChunk,
  name: string,
  source: string,
  strategy: MissingStrategy,
  clip: { min: number; max: number } | null,
  log1p: boolean,
  bad: BadRows,
): void {
  const v = numericColumn(chunk, source, name);
  // A clip whose minimum is above -1 already keeps log1p's input in range.
  const checkLog1p = log1p && !(clip !== null && clip.min > -1);
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    if (x - x === 0) {
      if (checkLog1p && (clip !== null ? Math.min(Math.max(x, clip.min), clip.max) : x) <= -1) markNumeric(bad, chunk, i, source, name, 'log1p', x);
    } else if (x !== x) {
      if (strategy === 'error') markNumeric(bad, chunk, i, source, name, 'missing', x);
    } else markNumeric(bad, chunk, i, source, name, 'non-finite', x);
  }
}

/**
 * Marks row i bad for a numeric problem. A function of its own so that the loop above creates no closure: a
 * closure over the loop's `i` and `x` makes V8 keep them in a context object, which tripled the loop's cost.
 */
function markNumeric(bad: BadRows, chunk: RowChunk, i: number, source: string, name: string, problem: 'log1p' | 'missing' | 'non-finite', x: number): void {
  bad.mark(i, () => {
    if (problem === 'log1p') return rowError(chunk, i, source, `log1p needs values above -1, got ${x}`, `clip the column (clip: { min: 0, max: ... }) or drop log1p`, name);
    if (problem === 'missing') {
      return rowError(chunk, i, source, `missing value (NaN) and the column has no missing strategy`, `declare missing: { strategy: mean | median | zero | constant } on column '${name}', fix the data, or set onBadRow: skip`, name);
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
