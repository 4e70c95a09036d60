import { WideDeepError } from '../../core/errors.js';
import type { Dim, Value } from '../builder.js';
import { INIT_KINDS, type InitKind } from '../params.js';

/**
 * Readers for the plain-JSON layer configs. Configs may come straight from a JSON file, so every value is
 * checked at run time; a failure is a `WideDeepError('CONFIG')` whose `field` is `<layer name>.<key>`.
 */

export type PlainObject = Readonly<Record<string, unknown>>;

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  return Array.isArray(v) ? 'an array' : typeof v;
}

function bad(path: string, key: string, rule: string, got: unknown): never {
  throw new WideDeepError('CONFIG', `${key} must be ${rule}, got ${describe(got)}`, {
    field: `${path}.${key}`,
    fix: `set ${key} to ${rule}`,
  });
}

/** Checks that `raw` is a plain object whose keys are all in `allowed`. */
export function configObject(raw: unknown, path: string, allowed: readonly string[]): PlainObject {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new WideDeepError('CONFIG', `the config of layer ${path} must be an object, got ${describe(raw)}`, { field: path });
  }
  for (const key of Object.keys(raw)) {
    if (!allowed.includes(key)) {
      throw new WideDeepError('CONFIG', `unknown key "${key}"; valid keys: ${allowed.join(', ')}`, {
        field: `${path}.${key}`,
        fix: `remove "${key}" or use one of ${allowed.join(', ')}`,
      });
    }
  }
  return raw as PlainObject;
}

/** An integer >= 1; required unless `fallback` is given. */
export function positiveInt(obj: PlainObject, key: string, path: string, fallback?: number): number {
  const v = obj[key];
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) bad(path, key, 'an integer >= 1', v);
  return v;
}

/** A list of integers >= 1 (may be empty); the failing element is named as `key[i]`. */
export function positiveInts(obj: PlainObject, key: string, path: string): number[] {
  const v = obj[key];
  if (!Array.isArray(v)) bad(path, key, 'an array of integers >= 1', v);
  return v.map((x: unknown, i) => {
    if (typeof x !== 'number' || !Number.isInteger(x) || x < 1) bad(path, `${key}[${i}]`, 'an integer >= 1', x);
    return x;
  });
}

/** An optional finite number satisfying `ok` (`rule` describes it). */
export function numberIn(
  obj: PlainObject,
  key: string,
  path: string,
  fallback: number,
  ok: (v: number) => boolean,
  rule: string,
): number {
  const v = obj[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) bad(path, key, rule, v);
  return v;
}

export function bool(obj: PlainObject, key: string, path: string, fallback: boolean): boolean {
  const v = obj[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') bad(path, key, 'true or false', v);
  return v;
}

/** One of `options`; `fallback` when absent. */
export function oneOf<T extends string>(obj: PlainObject, key: string, path: string, options: readonly T[], fallback: T): T {
  const v = obj[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'string' || !(options as readonly string[]).includes(v)) bad(path, key, `one of ${options.join(', ')}`, v);
  return v as T;
}

export function initKind(obj: PlainObject, path: string, fallback: InitKind = 'xavier_uniform'): InitKind {
  return oneOf(obj, 'init', path, INIT_KINDS, fallback);
}

/** The static size of axis `axis` of x, or a SHAPE error naming the layer. */
export function staticDim(x: Value, axis: number, layer: string): number {
  const d: Dim | undefined = x.shape[axis];
  if (typeof d !== 'number') {
    throw new WideDeepError('SHAPE', `${layer}: axis ${axis} of ${x.name} [${x.shape.join(', ')}] must have a static size`);
  }
  return d;
}

/** Checks the rank of a layer input. */
export function expectRank(x: Value, rank: number, layer: string): void {
  if (x.shape.length !== rank) {
    throw new WideDeepError('SHAPE', `${layer}: ${x.name} must have rank ${rank}, got [${x.shape.join(', ')}]`);
  }
}

/** The float type of a layer's values (scalars must match it). */
export function floatType(x: Value, layer: string): 'float32' | 'float64' {
  if (x.dtype !== 'float32' && x.dtype !== 'float64') {
    throw new WideDeepError('SHAPE', `${layer}: ${x.name} must be float32 or float64, got ${x.dtype}`);
  }
  return x.dtype;
}
