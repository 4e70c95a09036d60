import type { FittedSpec } from '../features/fitted-spec.js';
import { WideDeepError } from '../core/errors.js';

/**
 * The prediction columns of a `widedeep score` output: `prediction` for a model with one output (binary,
 * regression), else one `prediction_<class>` per output of a multi-class model, in the model's class order.
 */
export function outputColumns(spec: FittedSpec, outputs: number): string[] {
  if (outputs === 1) return ['prediction'];
  const names = spec.label?.kind === 'multiclass' ? spec.label.classes : Array.from({ length: outputs }, (_, j) => String(j));
  return names.map((n) => `prediction_${n}`);
}

/** Checks the --keep columns: each in the input, once, and none named as an output column. */
export function checkKeep(keep: readonly string[], inputColumns: readonly string[], outputs: readonly string[], file: string): void {
  const taken = new Set(['row_id', ...outputs]);
  keep.forEach((name, i) => {
    if (!inputColumns.includes(name)) {
      throw new WideDeepError('CONFIG', `--keep names column ${name}, which the input does not have`, { file, field: '--keep', fix: `keep some of: ${inputColumns.join(', ')}` });
    }
    if (keep.indexOf(name) !== i) throw new WideDeepError('CONFIG', `--keep names column ${name} twice`, { field: '--keep', fix: 'list every column once' });
    if (taken.has(name)) {
      throw new WideDeepError('CONFIG', `--keep column ${name} has the name of an output column`, { field: '--keep', fix: `rename the input column: the output already has ${[...taken].join(', ')}` });
    }
  });
}
