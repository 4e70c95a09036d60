import { WideDeepError } from '../core/index.js';

/**
 * Small readers for plain-data configs (JSON in, normalised config out). Every failure is a
 * `WideDeepError('CONFIG')` whose `field` is the full key path and whose message lists what is valid.
 */

export type PlainObject = Readonly<Record<string, unknown>>;

export function expectObject(raw: unknown, path: string): PlainObject {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new WideDeepError('CONFIG', `expected an object, got ${describe(raw)}`, {
      field: path,
      fix: 'pass a plain object such as { "type": "ftrl" }',
    });
  }
  return raw as PlainObject;
}

/** Rejects keys outside `allowed`, naming the first unknown key and every valid one. */
export function checkKeys(obj: PlainObject, allowed: readonly string[], path: string, what: string): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) {
      throw new WideDeepError('CONFIG', `unknown key "${key}" in ${what}; valid keys: ${allowed.join(', ')}`, {
        field: `${path}.${key}`,
        fix: `remove "${key}" or use one of ${allowed.join(', ')}`,
      });
    }
  }
}

/** Reads an optional finite number; `ok` states the valid range, `rule` describes it for the message. */
export function readNumber(
  obj: PlainObject,
  key: string,
  path: string,
  fallback: number,
  ok: (v: number) => boolean,
  rule: string,
): number {
  const v = obj[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) {
    throw new WideDeepError('CONFIG', `${key} must be ${rule}, got ${describe(v)}`, {
      field: `${path}.${key}`,
      fix: `set ${key} to ${rule} (default ${fallback})`,
    });
  }
  return v;
}

/** Reads a required integer in [min, max]. */
export function readInt(obj: PlainObject, key: string, path: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const v = obj[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    const rule = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer in [${min}, ${max}]`;
    throw new WideDeepError('CONFIG', `${key} must be ${rule}, got ${describe(v)}`, {
      field: `${path}.${key}`,
      fix: `set ${key} to ${rule}`,
    });
  }
  return v;
}

/** Reads a required non-empty string. */
export function readString(obj: PlainObject, key: string, path: string): string {
  const v = obj[key];
  if (typeof v !== 'string' || v === '') {
    throw new WideDeepError('CONFIG', `${key} must be a non-empty string, got ${describe(v)}`, {
      field: `${path}.${key}`,
      fix: `set ${key} to a non-empty string`,
    });
  }
  return v;
}

/** Reads the `type` discriminator of a tagged config and checks it is one of `types`. */
export function readType<T extends string>(obj: PlainObject, path: string, types: readonly T[], what: string): T {
  const v = obj['type'];
  if (typeof v !== 'string' || !(types as readonly string[]).includes(v)) {
    throw new WideDeepError('CONFIG', `unknown ${what} type ${describe(v)}; valid types: ${types.join(', ')}`, {
      field: `${path}.type`,
      fix: `set type to one of ${types.join(', ')}`,
    });
  }
  return v as T;
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  return Array.isArray(v) ? 'an array' : typeof v;
}
