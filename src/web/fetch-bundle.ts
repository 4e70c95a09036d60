import { WideDeepError } from '../core/errors.js';
import { type LoadedBundle, loadedBundleOf } from '../artifact/bundle-model.js';
import { checkWeightsSize, verifyBundle } from '../artifact/bundle-verify.js';
import { bundleError, parseManifest } from '../artifact/manifest-schema.js';
import { missingVersionError, POINTER, versionOfPointer } from '../artifact/pointer.js';
import { sha256Hex, webBundleDigest } from './digest.js';

/** A bundle fetched and checked, and the URL of the version directory it came from. */
export interface FetchedBundle {
  readonly bundle: LoadedBundle;
  /** The version directory read (`<url>/v-3`), or the URL itself for a bundle without a `current` pointer. */
  readonly source: string;
  /** The version the pointer named (`v-3`); null without a pointer. */
  readonly version: string | null;
}

/** The fetch this reads with (the page's own by default): a URL and the request's cache mode. */
export type Fetch = (url: string, init?: { cache?: 'default' | 'no-cache' }) => Promise<Response>;

/** GET `url`: the response, or null for a 404; any other failure is an IO error naming the URL. */
async function get(fetchFn: Fetch, url: string, init: { cache?: 'no-cache' } = {}): Promise<Response | null> {
  let res: Response;
  try {
    res = await fetchFn(url, init);
  } catch (err) {
    throw new WideDeepError('IO', `cannot fetch ${url}: ${(err as Error).message}`, {
      file: url,
      fix: 'check the URL, that the server is up, and that it allows this page to read it (same origin or CORS)',
    }, { cause: err });
  }
  if (res.status === 404) return null;
  if (!res.ok) throw new WideDeepError('IO', `fetching ${url} answered HTTP ${res.status} ${res.statusText}`, { file: url, fix: 'check the URL and the server' });
  return res;
}

/** The last segment of a URL (`model` of `https://x/runs/clicks/model`), naming the directory in fixes. */
const nameOf = (url: string): string => url.slice(url.lastIndexOf('/') + 1);

/**
 * Follows the bundle directory's `current` pointer as readBundle does (docs/BUNDLE.md): its version directory,
 * or the URL itself where there is no pointer (a version directory given directly, a bundle from before
 * versions). The pointer is revalidated with the server every time (`no-cache`); a version's files never change.
 */
async function versionDir(fetchFn: Fetch, base: string): Promise<{ dir: string; version: string | null }> {
  const pointerUrl = `${base}/${POINTER}`;
  const res = await get(fetchFn, pointerUrl, { cache: 'no-cache' });
  if (res === null) return { dir: base, version: null };
  const version = versionOfPointer(await res.text(), pointerUrl, nameOf(base));
  return { dir: `${base}/${version}`, version };
}

/**
 * Fetches a model bundle from `url` (the directory `widedeep fit --out` wrote as `model/`, served as static
 * files) and checks all of it with the checks of readBundle (src/artifact/bundle-verify.ts): manifest schema and
 * version, weights size, sha256 and digest (hashed with Web Crypto), spec, model config, tensor table, finite
 * values. No Node API.
 */
export async function fetchBundle(url: string, fetchFn: Fetch): Promise<FetchedBundle> {
  const base = url.replace(/\/+$/, '');
  const { dir, version } = await versionDir(fetchFn, base);
  const manifestUrl = `${dir}/manifest.json`;
  const res = await get(fetchFn, manifestUrl);
  if (res === null) {
    if (version !== null) throw missingVersionError(`${base}/${POINTER}`, version, nameOf(base));
    throw bundleError(dir, 'no manifest.json: this is not a widedeep model bundle', 'pass the URL of the model/ directory `widedeep fit --out` wrote, served as static files');
  }
  const parsed = parseManifest(dir, await res.text());
  const m = parsed.manifest;
  const weightsUrl = `${dir}/${m.weights.file}`;
  const wres = await get(fetchFn, weightsUrl);
  if (wres === null) throw bundleError(dir, `${m.weights.file} is missing (${weightsUrl} answered 404)`, 'copy the whole bundle directory', m.weights.file);
  // The size first, where the server says it: a weights.bin longer than the manifest says is refused unread.
  const length = wres.headers.get('content-length');
  if (length !== null && wres.headers.get('content-encoding') === null) checkWeightsSize(dir, m, Number(length));
  const bin = new Uint8Array(await wres.arrayBuffer());
  const hashes = {
    sha256: await sha256Hex(bin, weightsUrl),
    digest: m.formatVersion === 2 ? await webBundleDigest(parsed.raw, bin, manifestUrl) : null,
    manifestFile: manifestUrl,
  };
  return { bundle: loadedBundleOf(m, verifyBundle(dir, parsed, bin, hashes, { loadable: true })), source: dir, version };
}
