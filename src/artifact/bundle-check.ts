import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { type CheckedBundle, verifyBundle } from './bundle-verify.js';
import { bundleDigest, type ParsedManifest } from './manifest.js';

export { type BundleHashes, type CheckedBundle, MAX_GRU_STEPS, checkWeightsSize, verifyBundle } from './bundle-verify.js';

/**
 * Every check of a bundle read from disk (verifyBundle, bundle-verify.ts), with weights.bin's sha256 and the
 * bundle digest computed by node:crypto. The checks themselves use no Node API and are shared with the browser
 * entry (src/web), which hashes with Web Crypto. `loadable`: also refuse what loadBundle cannot load.
 */
export function checkBundle(dir: string, parsed: ParsedManifest, bin: Uint8Array, options: { loadable?: boolean } = {}): CheckedBundle {
  const hashes = {
    sha256: createHash('sha256').update(bin).digest('hex'),
    digest: parsed.manifest.formatVersion === 2 ? bundleDigest(parsed.raw, bin) : null,
    manifestFile: join(dir, 'manifest.json'),
  };
  return verifyBundle(dir, parsed, bin, hashes, options);
}
