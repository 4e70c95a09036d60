import { z } from 'zod';
import { WideDeepError, type ErrorCode } from '../core/errors.js';

/**
 * Turns the first zod issue of a failed parse into a WideDeepError whose `field` is the path of the bad key
 * (`columns[2].vocabulary.minCount`) and whose message, for an unknown key, lists the valid keys there.
 */

export interface IssueContext {
  readonly code: ErrorCode;
  /** What was being parsed, e.g. `feature config` or `fitted spec`. */
  readonly what: string;
  readonly schema: z.ZodType;
  readonly data: unknown;
  /** Path of `data` inside the whole document, e.g. `columns[2]`. */
  readonly prefix?: string;
  readonly file?: string | undefined;
  /** Fix for errors other than unknown keys. */
  readonly fix: string;
}

export function formatPath(prefix: string, path: readonly PropertyKey[]): string {
  let out = prefix;
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? String(p) : `.${String(p)}`;
  }
  return out;
}

/** Parses `data` with `schema`, throwing a WideDeepError built from the first issue. */
export function parseWith<T extends z.ZodType>(schema: T, data: unknown, ctx: Omit<IssueContext, 'schema' | 'data'>): z.output<T> {
  const r = schema.safeParse(data);
  if (r.success) return r.data;
  throw issueToError(r.error.issues[0] as z.core.$ZodIssue, { ...ctx, schema, data });
}

export function issueToError(issue: z.core.$ZodIssue, ctx: IssueContext): WideDeepError {
  const prefix = ctx.prefix ?? '';
  const where = formatPath(prefix, issue.path);
  const details = (field: string, fix: string) => ({
    field,
    fix,
    ...(ctx.file !== undefined ? { file: ctx.file } : {}),
  });
  if (issue.code === 'unrecognized_keys') {
    const valid = validKeysAt(ctx.schema, issue.path, ctx.data);
    const key = issue.keys[0] as string;
    const suggestion = closest(key, valid) ?? nestedKey(ctx.schema, issue.path, ctx.data, key, valid);
    const hint = suggestion !== undefined ? ` (did you mean '${suggestion}'?)` : '';
    const at = where === '' ? 'at the top level' : `in ${where}`;
    return new WideDeepError(
      ctx.code,
      `${ctx.what}: unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')} ${at}${hint}; valid keys: ${valid.join(', ')}`,
      details(formatPath(where, [key]), suggestion !== undefined ? `write '${suggestion}' instead of '${key}'` : 'remove the key or rename it to one of the valid keys'),
    );
  }
  return new WideDeepError(ctx.code, `${ctx.what}: ${where === '' ? '' : `${where}: `}${issue.message}`, details(where, ctx.fix));
}

/** Keys of the object schema found by following `path` through `schema` (and `data`, to pick union members). */
export function validKeysAt(schema: z.ZodType, path: readonly PropertyKey[], data: unknown): string[] {
  let s: unknown = schema;
  let d: unknown = data;
  for (let i = 0; ; ) {
    s = unwrap(s, d);
    if (i === path.length) break;
    const p = path[i++] as PropertyKey;
    d = d !== null && typeof d === 'object' ? (d as Record<PropertyKey, unknown>)[p] : undefined;
    if (s instanceof z.ZodObject) s = (s.shape as Record<string, unknown>)[String(p)];
    else if (s instanceof z.ZodArray) s = s.element;
    else return [];
  }
  return s instanceof z.ZodObject ? Object.keys(s.shape) : [];
}

/** `parent.key` when `key` is a valid key of an object nested one level below the path (e.g. `vocabulary.minCount`). */
function nestedKey(schema: z.ZodType, path: readonly PropertyKey[], data: unknown, key: string, valid: readonly string[]): string | undefined {
  for (const parent of valid) {
    if (validKeysAt(schema, [...path, parent], data).includes(key)) return `${parent}.${key}`;
  }
  return undefined;
}

function unwrap(s: unknown, d: unknown): unknown {
  for (;;) {
    if (s instanceof z.ZodOptional || s instanceof z.ZodNullable) s = s.unwrap();
    else if (s instanceof z.ZodDiscriminatedUnion) {
      const disc = (s.def as { discriminator: string }).discriminator;
      const value = d !== null && typeof d === 'object' ? (d as Record<string, unknown>)[disc] : undefined;
      const options = s.options as unknown[];
      s = options.find((o) => o instanceof z.ZodObject && literalValue(o.shape[disc]) === value) ?? options[0];
    } else return s;
  }
}

function literalValue(s: unknown): unknown {
  return s instanceof z.ZodLiteral ? s.value : undefined;
}

/** The valid key closest to `key` by edit distance, when it is close enough to be a likely typo. */
export function closest(key: string, valid: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const v of valid) {
    const d = editDistance(key.toLowerCase(), v.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = v;
    }
  }
  return bestD <= Math.max(1, Math.floor(key.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const sub = (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      cur.push(Math.min(sub, (prev[j] as number) + 1, (cur[j - 1] as number) + 1));
    }
    prev = cur;
  }
  return prev[b.length] as number;
}
