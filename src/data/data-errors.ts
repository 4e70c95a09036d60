import type { z } from 'zod';
import { WideDeepError, type ErrorDetails } from '../core/errors.js';

/** A malformed file or row. The message names the file, row and field through `details`. */
export function dataError(message: string, details: ErrorDetails, cause?: unknown): WideDeepError {
  return new WideDeepError('DATA', message, details, cause !== undefined ? { cause } : undefined);
}

/** The first line of an error's message (DuckDB's run on for many lines), at most 300 characters. */
export function errorText(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return (msg.split('\n')[0] ?? msg).slice(0, 300);
}

/** A wrong option or option value. */
export function configError(message: string, details: ErrorDetails): WideDeepError {
  return new WideDeepError('CONFIG', message, details);
}

/** Throws a CONFIG error when `name` is not one of `valid`, listing the valid names. */
export function checkColumnName(name: string, valid: readonly string[], field: string, file?: string): void {
  if (valid.includes(name)) return;
  throw configError(`unknown column "${name}"`, {
    ...(file !== undefined ? { file } : {}),
    field,
    fix: `use one of the columns: ${valid.join(', ')}`,
  });
}

/** Throws a CONFIG error for a key of `options` that is not in `valid`, listing the valid keys. */
export function checkKeys(options: object, valid: readonly string[], where: string): void {
  for (const key of Object.keys(options)) {
    if (!valid.includes(key)) {
      throw configError(`unknown option "${key}" in ${where}`, { field: `${where}.${key}`, fix: `valid options are: ${valid.join(', ')}` });
    }
  }
}

/**
 * Validates an options object against a zod schema and turns the first issue into a CONFIG error that names
 * the option path and, for unknown keys, lists the valid ones. Returns the input unchanged (typed by the
 * caller's interface, so exactOptionalPropertyTypes holds).
 */
export function checkOptions<T>(schema: z.ZodType, value: T, where: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return value;
  const issue = parsed.error.issues[0];
  if (issue === undefined) throw configError(`invalid ${where}`, { field: where });
  const path = [where, ...issue.path.map(String)].join('.');
  if (issue.code === 'unrecognized_keys') {
    const valid = validKeysAt(schema, issue.path);
    const keys = issue.keys.map((k) => `"${k}"`).join(', ');
    throw configError(`unknown option ${keys} in ${path}`, {
      field: `${path}.${issue.keys[0] ?? ''}`,
      fix: valid.length > 0 ? `valid options are: ${valid.join(', ')}` : 'remove it',
    });
  }
  throw configError(`invalid value for ${path}: ${issue.message}`, { field: path, fix: 'see the option documentation' });
}

function validKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let s: unknown = schema;
  for (const key of path) {
    s = unwrap(s);
    const shape = (s as { shape?: Record<string, unknown> }).shape;
    if (shape === undefined || typeof key !== 'string') return [];
    s = shape[key];
  }
  const shape = (unwrap(s) as { shape?: Record<string, unknown> } | undefined)?.shape;
  return shape !== undefined ? Object.keys(shape) : [];
}

function unwrap(s: unknown): unknown {
  let cur = s as { unwrap?: () => unknown } | undefined;
  while (cur !== undefined && typeof cur.unwrap === 'function') cur = cur.unwrap() as typeof cur;
  return cur;
}
