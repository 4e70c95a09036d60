import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { WideDeepError } from '../core/errors.js';
import { missingVersionError, POINTER, VERSION, versionOfPointer } from './pointer.js';

/**
 * A directory whose contents are replaced atomically (model bundles and checkpoints). Each save writes a new
 * version directory beside the current one and then switches a one-line pointer file to it in one rename:
 *
 *   model/
 *     current     "v-3"            the committed version
 *     v-3/        manifest.json    that version's files
 *                 weights.bin
 *
 * Save: mkdir v-<n+1>; write and fsync every file; fsync v-<n+1> and model/; write and fsync a temporary
 * pointer; rename it over `current`; fsync model/. Then sweep: remove the other versions, stray temporary
 * pointers and the files of the layout from before versions. A process killed at any point leaves `current`
 * naming a complete version: the previous one up to the rename, the new one from it on. Every file and
 * directory entry of the new version is flushed before the rename, so a power loss leaves the one or the other
 * too (a journaling file system replays a rename whole or not at all). What a killed save left is swept by
 * the next save or resume.
 *
 * A directory without a pointer is read as it is: a bundle written before versions (manifest.json and
 * weights.bin in model/ itself), or one version directory given directly.
 */

/** Called before every file system operation of a save with its name; a test stops (kills) the save there. */
export type StepHook = (step: string) => void | Promise<void>;

/** One file of a version: its name inside the version directory and its contents. */
export interface VersionFile {
  readonly name: string;
  readonly data: Uint8Array | string;
}

export { POINTER } from './pointer.js';
const POINTER_TEMP = /^\.current-\d+-[0-9a-f]+\.tmp$/;

/**
 * Writes `files` as a new version of `dir` (created if missing) and commits it; returns the version directory.
 * A save that fails before the commit removes its version and leaves the committed one as it was.
 */
export async function writeVersion(dir: string, files: readonly VersionFile[], options: { onStep?: StepHook } = {}): Promise<string> {
  const step = options.onStep ?? (() => undefined);
  let entries = await entriesOf(dir);
  if (entries === null) {
    await step('mkdir');
    await mkdir(dir, { recursive: true });
    await step('fsync parent');
    await fsyncDir(dirname(dir));
    entries = [];
  }
  const name = `v-${1 + Math.max(0, ...entries.map((e) => Number(VERSION.exec(e)?.[1] ?? 0)))}`;
  const version = join(dir, name);
  const temp = join(dir, `.current-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  let created = false;
  try {
    await step(`mkdir ${name}`);
    await mkdir(version);
    created = true;
    for (const f of files) await writeSynced(join(version, f.name), f.data, step, `${name}/${f.name}`);
    await step(`fsync ${name}`);
    await fsyncDir(version);
    await step('fsync dir');
    await fsyncDir(dir);
    await writeSynced(temp, `${name}\n`, step, 'pointer');
    await step('rename pointer');
    await rename(temp, join(dir, POINTER));
  } catch (err) {
    // Not committed: the previous version stays current. (A killed save leaves these to the next sweep.)
    if (created) await rm(version, { recursive: true, force: true });
    await rm(temp, { force: true });
    throw err;
  }
  await step('fsync dir after rename');
  await fsyncDir(dir);
  try {
    await sweep(dir, step);
  } catch (err) {
    throw new WideDeepError('IO', `${name} is saved and current, but what earlier saves left could not be removed: ${(err as Error).message}`, {
      file: dir,
      fix: `remove the v-* directories of ${basename(dir)} other than ${name}, or save again`,
    }, { cause: err });
  }
  return version;
}

/** The directory holding `dir`'s current files: the version its pointer names, or `dir` itself without one. */
export async function currentDir(dir: string): Promise<string> {
  const name = await readPointer(dir);
  if (name === null) return dir;
  const version = join(dir, name);
  const isDir = await stat(version).then(
    (s) => s.isDirectory(),
    (err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? false : Promise.reject(err)),
  );
  if (!isDir) throw missingVersionError(join(dir, POINTER), name, basename(dir));
  return version;
}

/**
 * Removes what interrupted saves left in `dir`: versions other than the current one (all of them when no
 * pointer was ever committed), temporary pointers, files of the layout from before versions once a pointer
 * exists, and the `.<name>.tmp-*` / `.<name>.old-*` siblings that the earlier rename-based save left beside it.
 * The committed version and files it does not know are left alone. Returns whether `dir` holds anything after.
 */
export async function sweep(dir: string, onStep?: StepHook): Promise<boolean> {
  const step = onStep ?? (() => undefined);
  const entries = await entriesOf(dir);
  if (entries === null) return false;
  const current = await readPointer(dir);
  const superseded = new Set(current !== null ? await readdir(await currentDir(dir)) : []);
  const stale = entries.filter((e) => (VERSION.test(e) && e !== current) || POINTER_TEMP.test(e) || superseded.has(e));
  for (const e of stale) {
    await step(`rm ${e}`);
    await rm(join(dir, e), { recursive: true, force: true });
  }
  if (current !== null) {
    const prefixes = [`.${basename(dir)}.tmp-`, `.${basename(dir)}.old-`];
    for (const e of (await entriesOf(dirname(dir))) ?? []) {
      if (!prefixes.some((p) => e.startsWith(p))) continue;
      await step(`rm ../${e}`);
      await rm(join(dirname(dir), e), { recursive: true, force: true });
    }
  }
  return entries.length > stale.length;
}

/** The version the pointer names; null when `dir` has no pointer (or is not a directory). */
async function readPointer(dir: string): Promise<string | null> {
  const file = join(dir, POINTER);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw new WideDeepError('IO', `cannot read ${POINTER}: ${(err as Error).message}`, { file, fix: 'check the permissions of the directory' }, { cause: err });
  }
  return versionOfPointer(text, file, basename(dir));
}

/** The names in a directory; null when it does not exist. */
async function entriesOf(dir: string): Promise<string[] | null> {
  try {
    return await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

async function writeSynced(path: string, data: Uint8Array | string, step: StepHook, label: string): Promise<void> {
  await step(`write ${label}`);
  const fh = await open(path, 'wx');
  try {
    await fh.writeFile(data);
    await step(`fsync ${label}`);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Flushes a directory's entries (a created file or a rename) to disk. */
async function fsyncDir(path: string): Promise<void> {
  // Windows cannot open a directory to flush it (EISDIR/EPERM); NTFS journals the rename itself.
  if (process.platform === 'win32') return;
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
