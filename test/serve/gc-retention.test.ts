import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/build-cli.js';

/**
 * A request's objects die with the request: V8's scavenger then promotes next to nothing while a server answers
 * request after request (bench/gc-retention-case.ts: the tiny fixture bundle, 50 rows a request, V8's own GC
 * trace). Objects a request leaves reachable past its end, or that V8 keeps for its own reasons (session 15:
 * `{ ...batch.inputs }` extended with the model's state, each such object with a map of its own), are
 * copied at each scavenge and promoted: 13-20 KB a scavenge against 0-4 KB (of which ~3.3 KB is Node's GC
 * performance entries for prom-client's GC metric, on the HTTP path).
 */
const run = promisify(execFile);

async function retention(path: 'http' | 'model'): Promise<{ scavenges: number; promoted_bytes_median: number }> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/gc-retention-case.ts'), '--path', path, '--rows', '50', '--requests', '800'], { cwd: ROOT });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as { scavenges: number; promoted_bytes_median: number };
}

describe('serving keeps nothing past a request for the young-generation GC', () => {
  it.each(['http', 'model'] as const)('%s: a scavenge promotes under 8 KB (median over the run)', async (path) => {
    const r = await retention(path);
    expect(r.scavenges).toBeGreaterThan(20);
    expect(r.promoted_bytes_median).toBeLessThan(8 * 1024);
  }, 60_000);
});
