import { z } from 'zod';
import type { ColumnValues, RowChunk } from './types.js';
import type { BadRowPolicy } from './options.js';
import type { BadRow } from './source.js';
import { checkKeys, checkOptions, configError, dataError } from './data-errors.js';
import { entryAt, getColumn, numericColumn, takeRows } from './chunk.js';

/** A test on one label value. Numbers compare numerically; `contains` looks at the value's text. */
export type LabelRule =
  | { readonly in: readonly (string | number)[] }
  | { readonly contains: string }
  | { readonly atLeast: number }
  | { readonly above: number };

/**
 * How the target is made from a column (config is data: every spec round-trips through JSON).
 * - binary: 1 where `positive` matches; 0 where `negative` matches, or everywhere else when `negative` is
 *   omitted. With `negative` given, a value matching neither is an error naming file, row and value.
 * - regression: the numeric value.
 * - multiclass: class index of the value in `classes` (fitted as the sorted distinct values when omitted).
 * `weightColumn` gives per-example weights (finite, >= 0).
 */
export type LabelSpec =
  | { readonly kind: 'binary'; readonly column: string; readonly positive: LabelRule; readonly negative?: LabelRule; readonly weightColumn?: string }
  | { readonly kind: 'regression'; readonly column: string; readonly weightColumn?: string }
  | { readonly kind: 'multiclass'; readonly column: string; readonly classes?: readonly string[]; readonly weightColumn?: string };

/** A spec whose multiclass classes are known. */
export type FittedLabel = Exclude<LabelSpec, { kind: 'multiclass' }> | (Extract<LabelSpec, { kind: 'multiclass' }> & { readonly classes: readonly string[] });

const rule = z.union([
  z.strictObject({ in: z.array(z.union([z.string(), z.number()])).min(1) }),
  z.strictObject({ contains: z.string().min(1) }),
  z.strictObject({ atLeast: z.number() }),
  z.strictObject({ above: z.number() }),
]);

const labelSpecSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('binary'), column: z.string(), positive: rule, negative: rule.optional(), weightColumn: z.string().optional() }),
  z.strictObject({ kind: z.literal('regression'), column: z.string(), weightColumn: z.string().optional() }),
  z.strictObject({ kind: z.literal('multiclass'), column: z.string(), classes: z.array(z.string()).min(2).optional(), weightColumn: z.string().optional() }),
]);

/** Labels (and weights) of a chunk; `data` holds only the rows that got a label. */
export interface LabeledChunk {
  readonly data: RowChunk;
  /** 0/1 (binary), the value (regression) or the class index (multiclass). */
  readonly labels: Float32Array;
  readonly weights?: Float32Array;
  /** Rows dropped under onBadRow 'skip'. */
  readonly skipped: readonly BadRow[];
}

/** Fits the spec on data: multiclass classes become the sorted distinct label values. Others pass through. */
export function fitLabel(spec: LabelSpec, data: RowChunk | readonly RowChunk[]): FittedLabel {
  checkOptions(labelSpecSchema, spec, 'label');
  if (spec.kind !== 'multiclass') return spec;
  if (spec.classes !== undefined) return { ...spec, classes: spec.classes };
  const seen = new Set<string>();
  for (const chunk of Array.isArray(data) ? data : [data as RowChunk]) {
    const values = getColumn(chunk, spec.column, 'label.column');
    for (let i = 0; i < chunk.numRows; i++) {
      const v = textOf(values, i);
      if (v !== null) seen.add(v);
    }
  }
  return { ...spec, classes: [...seen].sort() };
}

/** The label of every row; a missing or unmatched value is an error naming file, row and value (or skipped). */
export function labelChunk(data: RowChunk, spec: LabelSpec, options: { readonly onBadRow?: BadRowPolicy } = {}): LabeledChunk {
  checkOptions(labelSpecSchema, spec, 'label');
  checkKeys(options, ['onBadRow'], 'labelChunk');
  if (spec.kind === 'multiclass' && spec.classes === undefined) {
    throw configError('multiclass label has no classes', { field: 'label.classes', fix: 'fit them first with fitLabel(spec, trainData), or list them in classes' });
  }
  const fitted = spec as FittedLabel;
  const values = getColumn(data, fitted.column, 'label.column');
  const weightsIn = fitted.weightColumn !== undefined ? numericColumn(data, fitted.weightColumn, 'label.weightColumn') : undefined;
  const n = data.numRows;
  const labels = new Float32Array(n);
  const weights = weightsIn !== undefined ? new Float32Array(n) : undefined;
  const keep: number[] = [];
  const skipped: BadRow[] = [];
  const classIndex = fitted.kind === 'multiclass' ? new Map(fitted.classes.map((c, i) => [c, i])) : undefined;
  for (let i = 0; i < n; i++) {
    const row = data.rowNumbers[i] as number;
    const fail = (field: string, reason: string, fix: string): void => {
      if (options.onBadRow === 'skip') skipped.push({ row, field, reason });
      else throw dataError(reason, { file: data.source, row, field, fix });
    };
    const y = labelOf(values, i, fitted, classIndex);
    if (typeof y === 'string') {
      fail(fitted.column, y, labelFix(fitted));
      continue;
    }
    if (weightsIn !== undefined) {
      const w = weightsIn[i] as number;
      if (!(Number.isFinite(w) && w >= 0)) {
        fail(fitted.weightColumn as string, `weight ${w} is not a finite number >= 0`, 'fix the weight column or drop the row');
        continue;
      }
      (weights as Float32Array)[keep.length] = w;
    }
    labels[keep.length] = y;
    keep.push(i);
  }
  if (keep.length === n) return { data, labels, ...(weights !== undefined ? { weights } : {}), skipped };
  return {
    data: takeRows(data, keep),
    labels: labels.slice(0, keep.length),
    ...(weights !== undefined ? { weights: weights.slice(0, keep.length) } : {}),
    skipped,
  };
}

/** The label value, or a string saying why there is none. */
function labelOf(values: ColumnValues, i: number, spec: FittedLabel, classIndex: ReadonlyMap<string, number> | undefined): number | string {
  const text = textOf(values, i);
  if (text === null) return `label ${spec.column} is missing`;
  if (spec.kind === 'regression') {
    const v = values instanceof Float64Array ? (values[i] as number) : Number(text);
    return Number.isFinite(v) ? v : `label value ${JSON.stringify(text)} is not a finite number`;
  }
  if (spec.kind === 'multiclass') {
    const k = classIndex?.get(text);
    return k !== undefined ? k : `label value ${JSON.stringify(text)} is not one of the classes [${spec.classes.join(', ')}]`;
  }
  const pos = matches(spec.positive, values, i, text);
  if (typeof pos === 'string') return pos;
  if (pos) return 1;
  if (spec.negative === undefined) return 0;
  const neg = matches(spec.negative, values, i, text);
  if (typeof neg === 'string') return neg;
  return neg ? 0 : `label value ${JSON.stringify(text)} is neither positive nor negative`;
}

function matches(r: LabelRule, values: ColumnValues, i: number, text: string): boolean | string {
  if ('contains' in r) return text.includes(r.contains);
  if ('in' in r) {
    const num = values instanceof Float64Array ? (values[i] as number) : Number.NaN;
    return r.in.some((x) => (typeof x === 'number' ? x === num || String(x) === text : x === text));
  }
  const v = values instanceof Float64Array ? (values[i] as number) : Number(text);
  if (!Number.isFinite(v)) return `label value ${JSON.stringify(text)} is not a number`;
  return 'atLeast' in r ? v >= r.atLeast : v > r.above;
}

function textOf(values: ColumnValues, i: number): string | null {
  const v = entryAt(values, i);
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return Number.isNaN(v) ? null : String(v);
  if (typeof v === 'string') return v;
  return v.join('|');
}

function labelFix(spec: FittedLabel): string {
  if (spec.kind === 'binary') return "add the value to the positive or negative rule, fix the row, or use onBadRow: 'skip'";
  if (spec.kind === 'multiclass') return "add the value to classes (or fit the classes on this data), fix the row, or use onBadRow: 'skip'";
  return "fix the row, or use onBadRow: 'skip'";
}
