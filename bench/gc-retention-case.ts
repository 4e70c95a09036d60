/**
 * What the serving path leaves behind for V8's young-generation GC (the scavenger): a `widedeep serve` of a
 * bundle, in this process, answers requests one at a time from a keep-alive client in this process, and V8's
 * own trace of each scavenge (`--trace-gc-nvp`) gives the bytes it copied (`survived`), moved to the old
 * generation (`promoted`) and its pause. A request's objects should die with the request: then a scavenge
 * copies little more than the request in flight and promotes next to nothing. What is promoted lives until a
 * full GC, and every scavenge until then copies it again.
 *
 *   npx tsx bench/gc-retention-case.ts [--path http|model] [--bundle DIR --body FILE.json | --rows K] [--requests N]
 *       [--semi-space MB] [--root DIR]
 *
 * `--path model`: the same rows scored by `predictRows` in a loop, without HTTP (the transform and the model
 * call alone). Defaults: http, the tiny test fixture bundle (test/fixtures/bundle-v1/model), its 7 rows cycled to `--rows 7`
 * (`--body`: a /predict request body of the bundle's columns instead),
 * 2,000 requests after 300 to warm up, a 1 MB semi-space (scavenges often, so that a short run has many).
 * `--root DIR`: the server of another tree (`git archive` unpacked, this tree's node_modules linked in).
 * Prints one JSON line: over the run's scavenges, the medians of survived and promoted bytes and of the pause
 * (ms), the pause's 90th percentile, and the median time of the pause spent freeing dead ArrayBuffers.
 * Made for session 15's finding (scratch loops of the serving path's parts found it first): `{ ...inputs }`
 * extended with new keys (each such object got a map of its own) and WeakMaps keyed by a request's objects kept
 * every request alive until a full GC (at 200 candidates 38.6 KB promoted a scavenge, now 4.5 KB).
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { quantile } from './serve-load.js';
import { median } from './serve-summary.js';

const { values } = parseArgs({
  options: {
    bundle: { type: 'string' },
    body: { type: 'string' },
    rows: { type: 'string', default: '7' },
    requests: { type: 'string', default: '2000' },
    'semi-space': { type: 'string', default: '1' },
    root: { type: 'string' },
    path: { type: 'string', default: 'http' },
    child: { type: 'boolean', default: false },
  },
});
const HERE = resolve(import.meta.dirname, '..');
const FIXTURE = join(HERE, 'test/fixtures/bundle-v1');
const MARK = 'gc-retention:';

/** One scavenge's figures from a `--trace-gc-nvp` line. */
interface Scavenge {
  readonly pause: number;
  readonly survived: number;
  readonly promoted: number;
  /** The part of the pause spent freeing the ArrayBuffers that died young (one by one, on this thread). */
  readonly sweepArrayBuffers: number;
}

function scavengeOf(line: string): Scavenge | undefined {
  if (!line.includes('gc=s ')) return undefined;
  const field = (k: string): number => Number(new RegExp(`(?:^|\\s)${k}=([\\d.]+)`).exec(line)?.[1] ?? NaN);
  return { pause: field('pause'), survived: field('new_space_survived'), promoted: field('promoted'), sweepArrayBuffers: field('scavenge.sweep_array_buffers') };
}

/** The request body the measured requests send. */
function requestBody(): Buffer {
  if (values.body !== undefined) return readFileSync(values.body);
  const fixtureRows = (JSON.parse(readFileSync(join(FIXTURE, 'expected.json'), 'utf8')) as { rows: unknown[] }).rows;
  return Buffer.from(JSON.stringify({ rows: Array.from({ length: Number(values.rows) }, (_, i) => fixtureRows[i % fixtureRows.length]) }));
}

/** A request of the measured path: over HTTP to a server in this process, or predictRows in this process. */
async function measuredPath(root: string, bundle: string, body: Buffer): Promise<{ ask: () => Promise<void>; close: () => Promise<void> }> {
  if (values.path === 'model') {
    const { loadBundle } = (await import(join(root, 'src/artifact/bundle.ts'))) as typeof import('../src/artifact/bundle.js');
    const { currentDir } = (await import(join(root, 'src/artifact/atomic-dir.ts'))) as typeof import('../src/artifact/atomic-dir.js');
    const { predictRows } = (await import(join(root, 'src/serve/predict-rows.ts'))) as typeof import('../src/serve/predict-rows.js');
    const { model, bundle: loaded } = await loadBundle(await currentDir(bundle));
    const text = body.toString('utf8');
    return { ask: async () => void (await predictRows(model, loaded.spec, (JSON.parse(text) as { rows: unknown[] }).rows)), close: () => model.release() };
  }
  if (values.path !== 'http') throw new Error(`--path is http or model, got ${values.path}`);
  const { serveBundle } = (await import(join(root, 'src/serve/server.ts'))) as typeof import('../src/serve/server.js');
  const server = await serveBundle(bundle, { port: 0, logger: false });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const { port } = new URL(server.url);
  const ask = (): Promise<void> =>
    new Promise((ok, fail) => {
      const req = http.request({ host: '127.0.0.1', port, path: '/predict', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': body.length } }, (res) => {
        if (res.statusCode !== 200) fail(new Error(`status ${res.statusCode}`));
        res.resume();
        res.on('end', ok);
      });
      req.on('error', fail);
      req.end(body);
    });
  return {
    ask,
    close: async () => {
      agent.destroy();
      await server.close();
    },
  };
}

/** The child: the measured path, with marks on stdout around the measured requests. */
async function child(): Promise<void> {
  const path = await measuredPath(resolve(values.root ?? HERE), values.bundle ?? join(FIXTURE, 'model'), requestBody());
  for (let i = 0; i < 300; i++) await path.ask();
  process.stdout.write(`${MARK}start\n`);
  for (let i = 0; i < Number(values.requests); i++) await path.ask();
  process.stdout.write(`${MARK}end\n`);
  await path.close();
}

/** The parent: runs the child under V8's GC trace and summarizes the scavenges between the marks. */
async function parent(): Promise<void> {
  const args = [`--max-semi-space-size=${values['semi-space']}`, '--trace-gc-nvp', '--import', 'tsx', import.meta.filename, '--child', ...process.argv.slice(2)];
  const proc = spawn(process.execPath, args, { cwd: HERE, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number>((ok) => proc.on('close', (c) => ok(c ?? -1)));
  const lines = out.split('\n');
  const from = lines.indexOf(`${MARK}start`);
  const to = lines.indexOf(`${MARK}end`);
  if (code !== 0 || from < 0 || to < 0) throw new Error(`the measured server failed (exit ${code})`);
  const scavenges = lines.slice(from + 1, to).map(scavengeOf).filter((s) => s !== undefined);
  process.stdout.write(
    `${JSON.stringify({
      case: 'gc_retention',
      path: values.path,
      bundle: values.bundle ?? 'test fixture',
      root: values.root ?? '.',
      rows: (JSON.parse(requestBody().toString('utf8')) as { rows: unknown[] }).rows.length,
      requests: Number(values.requests),
      semi_space_mb: Number(values['semi-space']),
      scavenges: scavenges.length,
      survived_bytes_median: median(scavenges.map((s) => s.survived)),
      promoted_bytes_median: median(scavenges.map((s) => s.promoted)),
      pause_ms_median: median(scavenges.map((s) => s.pause)),
      pause_ms_p90: quantile(scavenges.map((s) => s.pause).sort((a, b) => a - b), 0.9),
      sweep_array_buffers_ms_median: median(scavenges.map((s) => s.sweepArrayBuffers)),
    })}\n`,
  );
}

if (values.child) await child();
else await parent();
