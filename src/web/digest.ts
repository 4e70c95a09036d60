import { WideDeepError } from '../core/errors.js';
import { digestText } from '../artifact/manifest-schema.js';

/**
 * The hashes of a bundle in the browser, through Web Crypto: the same values node:crypto gives in
 * src/artifact/bundle-check.ts (weights.bin's sha256; the digest over `digestText(manifest)` then weights.bin).
 */

/** What is used of Web Crypto's SubtleCrypto (typed here: the project compiles without the DOM library). */
interface Subtle {
  digest(algorithm: 'SHA-256', data: Uint8Array): Promise<ArrayBuffer>;
}

function subtle(url: string): Subtle {
  const s = (globalThis as { crypto?: { subtle?: Subtle } }).crypto?.subtle;
  if (s === undefined) {
    throw new WideDeepError('BUNDLE', 'Web Crypto (crypto.subtle) is not available here, so the bundle digest cannot be checked: the page is not a secure context', {
      file: url,
      fix: 'serve the page over https, or from localhost / 127.0.0.1',
    });
  }
  return s;
}

/** Lowercase hex SHA-256 of `data`. */
export async function sha256Hex(data: Uint8Array, url: string): Promise<string> {
  const bytes = new Uint8Array(await subtle(url).digest('SHA-256', data));
  let hex = '';
  for (const b of bytes) hex += b.toString(16).padStart(2, '0');
  return hex;
}

/** The bundle digest (`sha256:` + hex) of a manifest as parsed from manifest.json and its weights.bin. */
export async function webBundleDigest(manifest: Readonly<Record<string, unknown>>, weights: Uint8Array, url: string): Promise<string> {
  const text = new TextEncoder().encode(digestText(manifest));
  const all = new Uint8Array(text.byteLength + weights.byteLength);
  all.set(text);
  all.set(weights, text.byteLength);
  return `sha256:${await sha256Hex(all, url)}`;
}
