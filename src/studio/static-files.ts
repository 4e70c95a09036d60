import { realpathSync, statSync } from 'node:fs';
import { extname, resolve, sep } from 'node:path';

/**
 * Files under a folder, by URL path, for the studio's static mounts (/bundle the model bundle, /web the
 * browser build, /studio the app). Read-only, and never outside the folder: the path is percent-decoded
 * once, then any `..` or `.` segment, backslash or NUL refuses it, and the file's real path (symlinks
 * followed) must still lie inside the folder's real path. Anything refused or absent is a plain 404.
 */

export const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.txt': 'text/plain; charset=utf-8',
};

/** The content type of a file by its extension (the bundle's `current` pointer and weights.bin included). */
export function contentType(file: string): string {
  return CONTENT_TYPES[extname(file)] ?? (extname(file) === '' ? 'text/plain; charset=utf-8' : 'application/octet-stream');
}

/** The path's segments, decoded; null for a path that could escape the folder or does not decode. */
export function safeSegments(rawPath: string): string[] | null {
  let path: string;
  try {
    path = decodeURIComponent(rawPath.split('?')[0] ?? '');
  } catch {
    return null; // a malformed escape (`%zz`) names no file
  }
  if (path.includes('\0') || path.includes('\\')) return null;
  const segments = path.split('/').filter((s) => s !== '');
  if (segments.some((s) => s === '..' || s === '.')) return null;
  return segments;
}

/**
 * The absolute path of the regular file `rawPath` (as it came in the URL, still percent-encoded) names under
 * `root`, or null: refused (see safeSegments), absent, a folder, or resolving (through a symlink) outside root.
 */
export function fileUnder(root: string, rawPath: string): string | null {
  const segments = safeSegments(rawPath);
  if (segments === null || segments.length === 0) return null;
  const file = resolve(root, ...segments);
  let realRoot: string;
  let realFile: string;
  try {
    realRoot = realpathSync(root);
    realFile = realpathSync(file);
    if (!statSync(realFile).isFile()) return null;
  } catch {
    return null; // absent or unreadable: not found
  }
  return realFile.startsWith(realRoot + sep) ? realFile : null;
}
