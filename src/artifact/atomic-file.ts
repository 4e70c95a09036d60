import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Writes one file atomically: the data goes to a temporary sibling (`.<name>.tmp-<pid>-<hex>`), is flushed,
 * and is renamed over `path`. A reader (the studio listing runs while a fit finishes) sees the old file or the
 * new one, never half of one; a failed write removes its temporary file. The same rename-based commit as the
 * bundle's pointer (src/artifact/atomic-dir.ts), for a single file.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    const fh = await open(temp, 'wx');
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}
