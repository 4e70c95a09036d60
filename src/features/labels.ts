import type { RowChunk } from '../data/types.js';
import { Utf8Values } from '../data/utf8-values.js';
import { type BadRows, numericColumn, rowError, scalarColumn, showValue } from './chunk-access.js';
import type { FittedLabel, FittedSpec } from './fitted-spec.js';
import { inputColumns } from './checks.js';
import { finiteInFloat32 } from './float32.js';
import type { PredicateOp, ResolvedLabel } from './resolved.js';

/**
 * Labels and example weights: checks (shared by fit and transform), encoding, and the fitted class list of a
 * multi-class label. Binary and regression labels become a Float32Array; multi-class labels a class index.
 */

type AnyLabel = ResolvedLabel | FittedLabel;

/** The keys a row may carry: the columns the features read, and the label's and weight's (others are ignored). */
export function knownColumns(spec: FittedSpec): Set<string> {
  return new Set([...inputColumns(spec), ...(spec.label !== null ? labelSources(spec.label).map((l) => l.source) : [])]);
}

export function labelSources(label: AnyLabel): { source: string; usedBy: string }[] {
  const out = [{ source: label.column, usedBy: `the ${label.kind} label; transform with { mode: 'serve' } to go without labels` }];
  if (label.weight !== null) out.push({ source: label.weight, usedBy: 'the example weight' });
  return out;
}

const OPS: Record<PredicateOp, (x: number, v: number) => boolean> = {
  '>': (x, v) => x > v,
  '>=': (x, v) => x >= v,
  '<': (x, v) => x < v,
  '<=': (x, v) => x <= v,
  '==': (x, v) => x === v,
};

/** The test of a predicate such as `>= 4` (a binary label's, or a regression label's evaluation event). */
export function predicateTest(p: { readonly op: PredicateOp; readonly value: number }): (x: number) => boolean {
  const op = OPS[p.op];
  return (x) => op(x, p.value);
}

/** Maps one raw label value to 1, 0, or -1 when it is neither class; `expected` describes the valid values. */
interface LabelDecoder {
  ofString(s: string): number;
  ofNumber(x: number): number;
  readonly expected: string;
}

const decoders = new WeakMap<AnyLabel, LabelDecoder>();

function decoder(label: AnyLabel): LabelDecoder {
  let d = decoders.get(label);
  if (d !== undefined) return d;
  switch (label.kind) {
    case 'binary': {
      const { positive, negative, predicate } = label;
      if (predicate !== null) {
        const positiveWhen = predicateTest(predicate);
        d = { ofString: () => -1, ofNumber: (x) => (x - x !== 0 ? -1 : positiveWhen(x) ? 1 : 0), expected: `a number (positive when ${predicate.op} ${predicate.value})` };
      } else if (positive !== null) {
        const map = new Map<string, number>();
        for (const s of negative ?? []) map.set(s, 0);
        for (const s of positive) map.set(s, 1);
        const open = negative === null;
        const ofString = (s: string): number => map.get(s) ?? (open ? 0 : -1);
        d = {
          ofString,
          ofNumber: (x) => ofString(String(x)),
          expected: `positive ${showValue(positive)}${open ? '' : ` or negative ${showValue(negative)}`}`,
        };
      } else {
        const map = new Map([['0', 0], ['1', 1], ['false', 0], ['true', 1]]);
        d = { ofString: (s) => map.get(s) ?? -1, ofNumber: (x) => (x === 0 ? 0 : x === 1 ? 1 : -1), expected: '0 or 1' };
      }
      break;
    }
    case 'multiclass': {
      const classes = label.classes;
      const map = new Map((classes ?? []).map((c, i) => [c, i]));
      const ofString = classes === null ? () => 0 : (s: string): number => map.get(s) ?? -1;
      d = { ofString, ofNumber: (x) => ofString(String(x)), expected: `one of the classes ${showValue(classes)}` };
      break;
    }
    case 'regression':
      // Targets are stored as float32: a number beyond its range would be an infinite target.
      d = { ofString: () => -1, ofNumber: (x) => (finiteInFloat32(x) ? x : NaN), expected: 'a finite number within float32 range (|x| < 3.4e38)' };
      break;
  }
  decoders.set(label, d);
  return d;
}

/** Label values as strings or numbers (a Utf8Values label column is decoded once per chunk). */
function stringsOrNumbers(values: Float64Array | Utf8Values | readonly (string | null)[]): Float64Array | readonly (string | null)[] {
  return values instanceof Utf8Values ? values.strings() : values;
}

export function checkLabel(chunk: RowChunk, label: AnyLabel, bad: BadRows): void {
  const col = label.column;
  const d = decoder(label);
  const fix = `fix the label in the data, declare the missing label values in the label config, or set onBadRow: skip`;
  const numeric = label.kind === 'regression' || (label.kind === 'binary' && label.predicate !== null);
  const values = numeric ? numericColumn(chunk, col, col) : stringsOrNumbers(scalarColumn(chunk, col, col));
  if (values instanceof Float64Array) {
    for (let i = 0; i < values.length; i++) {
      const x = values[i]!;
      if (x !== x) bad.mark(i, () => rowError(chunk, i, col, `missing label`, fix));
      else {
        const y = d.ofNumber(x);
        if (label.kind === 'regression' ? y !== y : y === -1) bad.mark(i, () => rowError(chunk, i, col, `label value ${x} is not ${d.expected}`, fix));
      }
    }
  } else {
    for (let i = 0; i < values.length; i++) {
      const s = values[i];
      if (s === null || s === undefined) bad.mark(i, () => rowError(chunk, i, col, `missing label`, fix));
      else if (d.ofString(s) === -1) bad.mark(i, () => rowError(chunk, i, col, `label value ${showValue(s)} is not ${d.expected}`, fix));
    }
  }
  if (label.weight === null) return;
  const w = numericColumn(chunk, label.weight, label.weight);
  for (let i = 0; i < w.length; i++) {
    const x = w[i]!;
    if (!(x >= 0 && finiteInFloat32(x))) {
      bad.mark(i, () => rowError(chunk, i, label.weight as string, `example weight must be a finite number >= 0 within float32 range (< 3.4e38), got ${x}`, 'fix the weight in the data, or set onBadRow: skip'));
    }
  }
}

/** Labels of the selected rows (`rows` = indices into the chunk, null = all): Float32Array or class indices. */
export function encodeLabels(chunk: RowChunk, label: FittedLabel, rows: Int32Array | null, n: number): Float32Array | Int32Array {
  const d = decoder(label);
  const out = label.kind === 'multiclass' ? new Int32Array(n) : new Float32Array(n);
  const numeric = label.kind === 'regression' || (label.kind === 'binary' && label.predicate !== null);
  const values = numeric ? numericColumn(chunk, label.column, label.column) : stringsOrNumbers(scalarColumn(chunk, label.column, label.column));
  if (values instanceof Float64Array) {
    for (let i = 0; i < n; i++) out[i] = d.ofNumber(values[rows === null ? i : rows[i]!]!);
  } else {
    for (let i = 0; i < n; i++) out[i] = d.ofString(values[rows === null ? i : rows[i]!] as string);
  }
  return out;
}

export function encodeWeights(chunk: RowChunk, label: FittedLabel, rows: Int32Array | null, n: number): Float32Array | null {
  if (label.weight === null) return null;
  const w = numericColumn(chunk, label.weight, label.weight);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = w[rows === null ? i : rows[i]!]!;
  return out;
}

/** Adds the label values of the kept rows to `counts` (multi-class labels whose classes are fitted). */
export function countClasses(chunk: RowChunk, label: ResolvedLabel, keep: (i: number) => boolean, counts: Map<string, number>): void {
  const values = stringsOrNumbers(scalarColumn(chunk, label.column, label.column));
  for (let i = 0; i < values.length; i++) {
    if (!keep(i)) continue;
    const v = values[i];
    const s = typeof v === 'number' ? String(v) : (v as string);
    counts.set(s, (counts.get(s) ?? 0) + 1);
  }
}

/** Fitted class order: numeric order when every class is a number, otherwise string order. */
export function orderClasses(classes: Iterable<string>): string[] {
  const all = [...classes];
  const numeric = all.every((c) => c.trim() !== '' && Number.isFinite(Number(c)));
  return numeric ? all.sort((a, b) => Number(a) - Number(b)) : all.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
