import { inputColumns } from '../features/checks.js';
import type { FittedColumn, FittedSpec } from '../features/fitted-spec.js';

/**
 * The what-if form's fields: one per input column of a fitted spec (the columns a JSON row carries), with the
 * control that fits what the transform reads there. A column read as a number (numeric, bucketized, an
 * identity-encoded categorical) is a number input; one read through a vocabulary is a select of its values
 * (a text input with suggestions past SELECT_LIMIT values); a hashed one is free text; a multi-valued or
 * sequence column without a separator is a list, typed as comma-separated values. Computed on the server
 * from the spec, so the page's form and the transform never disagree on a column's kind.
 */

/** A vocabulary longer than this is a text input with suggestions rather than a select. */
export const SELECT_LIMIT = 300;

export interface InputField {
  /** The row key (the data column). */
  readonly name: string;
  /** number: a number input; select: one of `values`; text: a string (suggestions in `values`); list: comma-separated strings, sent as an array. */
  readonly control: 'number' | 'select' | 'text' | 'list';
  /** Known values (vocabulary) for select, or suggestions for text and list; empty when hashed. */
  readonly values: readonly string[];
  /** The features that read this column, e.g. `categorical 'country', crossed 'country_x_category'`. */
  readonly usedBy: readonly string[];
}

function readers(spec: FittedSpec, source: string): FittedColumn[] {
  const direct = spec.columns.filter((c) => c.type !== 'crossed' && c.source === source);
  const names = new Set(direct.map((c) => c.name));
  const crosses = spec.columns.filter((c) => c.type === 'crossed' && c.components.some((k) => names.has(k)));
  return [...direct, ...crosses];
}

function vocabularyOf(columns: readonly FittedColumn[]): string[] {
  const values = new Set<string>();
  for (const c of columns) {
    if (c.type === 'crossed' || !('encoding' in c) || c.encoding.kind !== 'vocabulary') continue;
    for (const v of c.encoding.values) values.add(v);
  }
  return [...values];
}

function controlOf(columns: readonly FittedColumn[], vocabulary: readonly string[]): InputField['control'] {
  const direct = columns.filter((c) => c.type !== 'crossed');
  const numeric = direct.some((c) => c.type === 'numeric' || c.type === 'bucketized' || (c.type === 'categorical' && c.encoding.kind === 'identity'));
  if (numeric) return 'number';
  const list = direct.some((c) => (c.type === 'multi-valued' || c.type === 'sequence') && c.separator === null);
  if (list) return 'list';
  const hashed = direct.some((c) => 'encoding' in c && c.encoding.kind === 'hash');
  return !hashed && vocabulary.length > 0 && vocabulary.length <= SELECT_LIMIT ? 'select' : 'text';
}

/** The form fields of a spec's input columns, in spec order. */
export function inputFields(spec: FittedSpec): InputField[] {
  return inputColumns(spec).map((name) => {
    const columns = readers(spec, name);
    const vocabulary = vocabularyOf(columns);
    const control = controlOf(columns, vocabulary);
    return {
      name,
      control,
      values: control === 'number' ? [] : vocabulary.slice(0, SELECT_LIMIT),
      usedBy: columns.map((c) => `${c.type} '${c.name}'`),
    };
  });
}
