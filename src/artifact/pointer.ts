import { WideDeepError } from '../core/errors.js';

/*
 * The `current` pointer of a versioned directory (atomic-dir.ts), read without Node: its name, what it may hold
 * and the errors of a bad or dangling one. Split from atomic-dir.ts so that the browser entry (src/web), which
 * reads a bundle over fetch, follows the pointer with the same rules and messages.
 */

export const POINTER = 'current';
export const VERSION = /^v-(\d+)$/;

/**
 * The version directory a pointer's text names (`v-3\n` -> `v-3`). `file` is the pointer's path or URL, `dir`
 * the name of the directory holding it (for the fix). Anything but `v-<n>` is an error naming the file.
 */
export function versionOfPointer(text: string, file: string, dir: string): string {
  const name = text.trim();
  if (!VERSION.test(name)) {
    throw new WideDeepError('BUNDLE', `${POINTER} should name a version directory (v-<n>), it holds ${JSON.stringify(text.slice(0, 40))}`, {
      file,
      fix: `write the name of the newest complete v-<n> directory of ${dir} into ${POINTER}, or save again`,
    });
  }
  return name;
}

/** The error of a pointer naming a version that is not there (a directory copied in part). */
export function missingVersionError(file: string, name: string, dir: string): WideDeepError {
  return new WideDeepError('BUNDLE', `${POINTER} names ${name}, which is missing: the directory was copied in part`, {
    file,
    fix: `copy the whole directory (cp -r ${dir} keeps ${POINTER} and ${name})`,
  });
}
