import { z } from 'zod';
import { WideDeepError } from '../core/errors.js';

/*
 * The manifest of a model bundle without Node: its schema, parser, canonical JSON and the text its digest
 * covers. Split from manifest.ts (which adds the node:crypto digest) so that the browser entry (src/web) parses
 * manifests with the same code.
 */

/**
 * Version of the bundle layout (manifest.json + weights.bin). Bump on any incompatible change.
 * 1: weights.bin's sha256 only. 2: adds `digest`, one sha256 over the manifest and weights.bin together.
 */
export const BUNDLE_FORMAT_VERSION = 2;

const uint32 = z.number().int().min(0).max(0xffffffff);

const tensorEntry = z.strictObject({
  name: z.string(),
  offset: z.number().int().nonnegative(),
  length: z.number().int().nonnegative(),
});

export type TensorEntry = z.output<typeof tensorEntry>;

const manifestV1 = z.strictObject({
  format: z.literal('widedeep-bundle'),
  formatVersion: z.literal(1),
  library: z.strictObject({ name: z.literal('widedeep'), version: z.string() }),
  createdAt: z.string(),
  /** The whole run config as given (features, model, train, data), for the record. */
  config: z.unknown(),
  model: z.unknown(),
  spec: z.unknown(),
  sizes: z.unknown(),
  seed: z.number().int(),
  state: z.enum(['full', 'weights']),
  steps: z.number().int().nonnegative(),
  dropoutRng: z.tuple([uint32, uint32, uint32, uint32]),
  tensors: z.array(tensorEntry),
  weights: z.strictObject({ file: z.literal('weights.bin'), bytes: z.number().int().nonnegative(), sha256: z.string() }),
  metrics: z.record(z.string(), z.unknown()).default({}),
  data: z.record(z.string(), z.unknown()).default({}),
  /** Trainer state of a checkpoint (epochs done, history, best), absent in final bundles. */
  trainer: z.unknown().optional(),
});

const manifestV2 = manifestV1.extend({
  formatVersion: z.literal(2),
  /** `sha256:` + hex of sha256(canonical manifest without this field, then weights.bin): see bundleDigest. */
  digest: z.string().regex(/^sha256:[0-9a-f]{64}$/, 'must be "sha256:" and 64 lowercase hex digits'),
});

const manifestSchema = z.discriminatedUnion('formatVersion', [manifestV1, manifestV2]);

export type Manifest = z.output<typeof manifestSchema>;

/**
 * The manifest as JSON text in the JSON Canonicalization Scheme (RFC 8785): no whitespace, object members
 * sorted by their names' UTF-16 code units, strings and numbers as ECMAScript's JSON.stringify writes them.
 * For data that came from JSON.parse (no undefined, no NaN), this is exactly RFC 8785.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    const members = Object.keys(o)
      .sort()
      .filter((k) => o[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`);
    return `{${members.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * What the bundle digest hashes before weights.bin (docs/BUNDLE.md, "Digest"): `canonicalJson` of the manifest
 * without its digest member. One definition for both hashers: node:crypto (manifest.ts, bundleDigest) and Web
 * Crypto in the browser (src/web/digest.ts).
 */
export function digestText(manifest: Readonly<Record<string, unknown>>): string {
  const { digest: _digest, ...rest } = manifest;
  return canonicalJson(rest);
}

export function bundleError(dir: string, msg: string, fix: string, field?: string, cause?: unknown): WideDeepError {
  return new WideDeepError('BUNDLE', msg, { file: dir, fix, ...(field !== undefined ? { field } : {}) }, cause !== undefined ? { cause } : undefined);
}

/** Deepest nesting of arrays and objects a manifest may have (one widedeep writes has 6 to 8 levels). */
const MAX_DEPTH = 100;

function nestedDeeperThan(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop() as [unknown, number];
    if (v === null || typeof v !== 'object') continue;
    if (depth > limit) return true;
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}

/** A parsed manifest and the JSON object it was parsed from (what the digest covers). */
export interface ParsedManifest {
  readonly manifest: Manifest;
  readonly raw: Readonly<Record<string, unknown>>;
}

/** Parses manifest.json's text: JSON, format version (1 or 2; newer ones are refused by name) and schema. */
export function parseManifest(dir: string, text: string): ParsedManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw bundleError(dir, `manifest.json is not valid JSON (${(err as Error).message}); the bundle is truncated or corrupt`, 'retrain or restore the bundle', 'manifest.json', err);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw bundleError(dir, 'manifest.json is not a JSON object', 'the bundle is damaged or from another tool; retrain it', 'manifest.json');
  }
  if (nestedDeeperThan(raw, MAX_DEPTH)) {
    // JSON.parse takes any depth; canonicalJson and JSON.stringify recurse, and would overflow the stack.
    throw bundleError(dir, `manifest.json nests arrays and objects deeper than ${MAX_DEPTH} levels`, 'the bundle is damaged or from another tool; retrain it', 'manifest.json');
  }
  const version = (raw as { formatVersion?: unknown }).formatVersion;
  if (typeof version === 'number' && version > BUNDLE_FORMAT_VERSION) {
    throw bundleError(dir, `bundle format ${version} is newer than this widedeep reads (${BUNDLE_FORMAT_VERSION})`, 'upgrade widedeep', 'formatVersion');
  }
  if (version !== 1 && version !== 2) {
    throw bundleError(dir, `manifest.json has formatVersion ${JSON.stringify(version)}; bundles have 1 or 2`, 'the bundle is damaged or from another tool; retrain it', 'manifest.formatVersion');
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw bundleError(dir, `manifest.json is invalid: ${i?.message}`, 'the bundle is damaged or from another tool; retrain it', `manifest.${(i?.path ?? []).join('.')}`);
  }
  return { manifest: parsed.data, raw: raw as Record<string, unknown> };
}
