import type { ColumnKind, ColumnSchema } from './types.js';
import type { ColumnOverride, ReadOptions } from './options.js';
import { checkColumnName, configError } from './data-errors.js';

/** Checks `columns` and `select` against the file's columns; returns the selected names in output order. */
export function selectedColumns(fileColumns: readonly string[], options: ReadOptions): string[] {
  for (const key of Object.keys(options.columns ?? {})) {
    checkColumnName(key, fileColumns, `columns.${key}`, options.path);
  }
  const selected = options.select ?? fileColumns;
  const seen = new Set<string>();
  for (const name of selected) {
    checkColumnName(name, fileColumns, 'select', options.path);
    if (seen.has(name)) throw configError(`column ${name} is selected twice`, { file: options.path, field: 'select', fix: 'list every column once' });
    seen.add(name);
  }
  return [...selected];
}

export function overrideKind(o: ColumnOverride): ColumnKind {
  return typeof o === 'string' ? o : o.kind;
}

export function listSeparator(o: ColumnOverride | undefined): string | undefined {
  return o !== undefined && typeof o !== 'string' ? o.separator : undefined;
}

/**
 * Final schema: overrides win, the rest come from `inferred`. Columns in output order.
 */
export function buildSchema(selected: readonly string[], options: ReadOptions, inferred: ReadonlyMap<string, ColumnKind>): ColumnSchema[] {
  return selected.map((name) => {
    const o = options.columns?.[name];
    const kind = o !== undefined ? overrideKind(o) : inferred.get(name);
    if (kind === undefined) throw configError(`no kind for column ${name}`, { file: options.path, field: `columns.${name}` });
    return { name, kind };
  });
}

/** Columns that need inference (selected and without override). */
export function columnsToInfer(selected: readonly string[], options: ReadOptions): string[] {
  return selected.filter((name) => options.columns?.[name] === undefined);
}
