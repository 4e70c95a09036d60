// Preloaded into a CLI child by runCliKilledAtRename (node --import <this file, transpiled by build-cli.ts>): the
// process SIGKILLs itself right before its n-th rename (WIDEDEEP_TEST_KILL_AT_RENAME=n), whichever code renames,
// after saying so on stderr. Replacing fs.promises.rename reaches `import { rename } from 'node:fs/promises'`
// through syncBuiltinESMExports.
import fs, { writeSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

const at = Number(process.env.WIDEDEEP_TEST_KILL_AT_RENAME);
const rename = fs.promises.rename;
let renames = 0;
fs.promises.rename = async (from, to) => {
  if (++renames === at) {
    writeSync(2, `killed before rename ${renames}: ${String(from)} -> ${String(to)}\n`);
    process.kill(process.pid, 'SIGKILL');
  }
  return rename(from, to);
};
syncBuiltinESMExports();
