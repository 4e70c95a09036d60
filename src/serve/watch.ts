import { type FSWatcher, watch } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { POINTER } from '../artifact/atomic-dir.js';

/**
 * `widedeep serve --watch`: follows a bundle directory and reloads when its current version changes. A
 * versioned bundle (src/artifact/atomic-dir.ts) changes in one rename of its `current` pointer; a plain bundle
 * of the layout before versions by rewriting manifest.json and weights.bin. The watcher compares a
 * fingerprint of what names the current version (the pointer's text; the two files' size, mtime and inode
 * for a plain bundle) and calls `reload` when it differs from the one last loaded.
 *
 * Changes are seen through fs.watch on the directory (at once on Linux and macOS) and, as a fallback where
 * fs.watch misses them (network file systems, a directory replaced by a rename), a poll every `pollMs`.
 * Events are debounced: the check runs `debounceMs` after the last one, once a save has settled. Reloads
 * never overlap; a change seen during one is checked after it. A version that fails to load logs one line
 * and the model serving stays; that version is not tried again until the directory changes once more.
 */

export interface WatchOptions {
  /** Receives one line per version that failed to load. */
  readonly log: (line: string) => void;
  /** Quiet time after the last change before the check. Default 100 ms. */
  readonly debounceMs?: number;
  /** Poll interval of the fallback. Default 2,000 ms. */
  readonly pollMs?: number;
  /** Also listen to fs.watch events (default true; the poll alone when false). */
  readonly fsWatch?: boolean;
}

export interface BundleWatcher {
  close(): void;
}

export const DEFAULT_DEBOUNCE_MS = 100;
export const DEFAULT_POLL_MS = 2000;

/** What names the current version of `dir`; null when nothing can be read (a save in progress, a missing dir). */
export async function versionFingerprint(dir: string): Promise<string | null> {
  const missing = (err: NodeJS.ErrnoException) => (err.code === 'ENOENT' || err.code === 'ENOTDIR' ? null : Promise.reject(err));
  const pointer = await readFile(join(dir, POINTER), 'utf8').then((text) => text, missing);
  if (pointer !== null) return `pointer:${pointer.trim()}`;
  const files = await Promise.all(['manifest.json', 'weights.bin'].map((f) => stat(join(dir, f)).then((s) => `${s.size}:${s.mtimeMs}:${s.ino}`, missing)));
  return files.every((f) => f !== null) ? `plain:${files.join('/')}` : null;
}

/**
 * Watches `dir` and calls `reload` when its current version changes (see above). The fingerprint at the call
 * is the version serving: nothing reloads until it changes.
 */
export function watchBundle(dir: string, reload: () => Promise<unknown>, options: WatchOptions): BundleWatcher {
  const debounceMs = options.debounceMs ?? DEFAULT_DEBOUNCE_MS;
  let loaded: string | null | undefined; // undefined until the first fingerprint is read
  let failed: string | null = null;
  let timer: NodeJS.Timeout | null = null;
  let busy = false;
  let again = false;
  let closed = false;
  const start = versionFingerprint(dir).then(
    (f) => {
      loaded = f;
    },
    (err: unknown) => options.log(`widedeep serve --watch: ${dir}: cannot read the bundle directory (${(err as Error).message}); watching on`),
  );

  const check = async (): Promise<void> => {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    try {
      await start;
      const now = await versionFingerprint(dir);
      if (closed || now === null || now === loaded || now === failed) return;
      try {
        await reload();
        loaded = now;
        failed = null;
      } catch (err) {
        failed = now;
        options.log(`widedeep serve --watch: ${dir}: the new version did not load, the model serving stays: ${(err as Error).message}`);
      }
    } catch (err) {
      options.log(`widedeep serve --watch: ${dir}: cannot read the bundle directory (${(err as Error).message}); watching on`);
    } finally {
      busy = false;
      if (again && !closed) {
        again = false;
        schedule();
      }
    }
  };
  const schedule = (): void => {
    if (closed) return;
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      void check();
    }, debounceMs);
    timer.unref();
  };

  let watcher: FSWatcher | null = null;
  if (options.fsWatch !== false) {
    try {
      watcher = watch(dir, { persistent: false }, schedule);
      // A watch that breaks (the directory removed or replaced) leaves the poll to see what comes next.
      watcher.on('error', () => {
        watcher?.close();
        watcher = null;
      });
    } catch (err) {
      options.log(`widedeep serve --watch: ${dir}: fs.watch is unavailable (${(err as Error).message}); polling every ${options.pollMs ?? DEFAULT_POLL_MS} ms`);
    }
  }
  const poll = setInterval(() => void check(), options.pollMs ?? DEFAULT_POLL_MS);
  poll.unref();

  return {
    close: () => {
      closed = true;
      watcher?.close();
      clearInterval(poll);
      if (timer !== null) clearTimeout(timer);
    },
  };
}
