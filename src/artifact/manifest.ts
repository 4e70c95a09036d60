import { createHash } from 'node:crypto';
import { digestText } from './manifest-schema.js';

/*
 * The bundle manifest (manifest-schema.ts: schema, parser, canonical JSON, with no Node API, shared with the
 * browser entry) and its digest through node:crypto.
 */
export * from './manifest-schema.js';

/**
 * The bundle digest (docs/BUNDLE.md, "Digest"): `sha256:` + the lowercase hex sha256 of the UTF-8 bytes of
 * `canonicalJson(manifest without its digest member)` followed directly by the bytes of weights.bin.
 * `manifest` is the manifest as parsed from manifest.json (or as it will be, see saveBundle).
 */
export function bundleDigest(manifest: Readonly<Record<string, unknown>>, weights: Uint8Array): string {
  return `sha256:${createHash('sha256').update(digestText(manifest), 'utf8').update(weights).digest('hex')}`;
}

