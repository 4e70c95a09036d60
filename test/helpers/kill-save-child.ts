import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { type VersionFile, writeVersion } from '../../src/artifact/atomic-dir.js';

/** Deterministic files of a version named `tag`: a 64 KiB binary and a small text file naming it. */
export function versionFiles(tag: string): VersionFile[] {
  const data = new Uint8Array(64 * 1024);
  let h = createHash('sha256').update(tag).digest();
  for (let i = 0; i < data.length; i += h.length) {
    data.set(h.subarray(0, Math.min(h.length, data.length - i)), i);
    h = createHash('sha256').update(h).digest();
  }
  return [{ name: 'weights.bin', data }, { name: 'manifest.json', data: `{"tag":${JSON.stringify(tag)}}\n` }];
}

// As a script (see saveKilledAt): `<dir> <tag> <k>` saves version `tag` of `dir` and SIGKILLs itself right
// before step k of the save.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [dir, tag, k] = process.argv.slice(2) as [string, string, string];
  let step = 0;
  await writeVersion(dir, versionFiles(tag), {
    onStep: () => {
      if (step++ === Number(k)) process.kill(process.pid, 'SIGKILL');
    },
  });
}
