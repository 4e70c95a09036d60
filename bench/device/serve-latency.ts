/**
 * The paper's latency table (issue 15) on two pinned cores: `widedeep serve` and the floor server
 * (bench/serve-floor.ts: node:http, no model) answer one client at a time, 200 and 100 candidates a request,
 * the servers on one core and this client on another (taskset), in alternating repeats. On the shared 2-vCPU
 * machine the floor itself has a p99 of 1.3-2.4 ms; on the 16-core benchmark machine (bench/device/
 * serve-latency.sh, packed by pack-serve.sh) the same two cores are quiet, which is where a 2 ms p99 can be
 * judged. Prints one JSON line (per server and scenario: every repeat's p50/p99 and their medians).
 *
 *   node serve-latency.js --bundle DIR [--cli dist/cli/widedeep.js --floor serve-floor.js] [--repeats 5]
 *       [--requests 2000] [--server-cpus 1] [--client-cpus 0]
 *   npx tsx bench/device/serve-latency.ts --bundle DIR   (in the repository: the CLI and floor from the sources)
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { cpus, loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { paperBodies } from '../serve-bodies.js';
import { load } from '../serve-load.js';

const { values } = parseArgs({
  options: {
    bundle: { type: 'string' },
    cli: { type: 'string' },
    floor: { type: 'string' },
    repeats: { type: 'string', default: '5' },
    requests: { type: 'string', default: '2000' },
    'server-cpus': { type: 'string', default: '1' },
    'client-cpus': { type: 'string', default: '0' },
  },
});
if (values.bundle === undefined) throw new Error('--bundle DIR is required (a bundle of examples/synthetic.yaml)');
const log = (s: string): void => void process.stderr.write(`[serve-latency] ${s}\n`);
const root = new URL('../..', import.meta.url).pathname;
/** A packed script by its path, else the repository's source through tsx. */
const node = (script: string | undefined, fallback: string[]): string[] =>
  script !== undefined ? [process.execPath, resolve(script)] : [process.execPath, '--import', 'tsx', ...fallback.map((f) => resolve(root, f))];

interface Running {
  readonly name: string;
  readonly url: string;
  readonly child: ChildProcess;
}

/** Starts a server pinned to the server cores; resolves once it printed its listening line. */
async function start(name: string, argv: string[]): Promise<Running> {
  const child = spawn('taskset', ['-c', values['server-cpus']!, ...argv], { cwd: values.cli !== undefined ? process.cwd() : root, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((ok, fail) => {
    child.once('exit', (code) => fail(new Error(`${name} exited (${code}) before it listened`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.startsWith('{') && (JSON.parse(line) as { event?: string }).event === 'listening') ok((JSON.parse(line) as { url: string }).url);
    });
  });
  for (;;) {
    const res = await fetch(`${url}/ready`).catch(() => undefined);
    if (res?.status === 200 || (name === 'floor' && res !== undefined)) break;
    await new Promise((ok) => setTimeout(ok, 100));
  }
  return { name, url, child };
}

execFileSync('taskset', ['-a', '-p', '-c', values['client-cpus']!, String(process.pid)], { stdio: 'ignore' });
const loadBefore = loadavg();
const servers = [
  await start('widedeep', [...node(values.cli, ['test/helpers/cli-entry.ts']), 'serve', '--model', resolve(values.bundle), '--port', '0', '--log-level', 'warn']),
  await start('floor', node(values.floor, ['bench/serve-floor.ts'])),
];
const scenarios = [200, 100].map((k) => ({ name: `latency_${k}`, candidates: k, bodies: paperBodies(k, 100, 7919 + k) }));
const figures: Record<string, Record<string, { p50_ms: number; p99_ms: number }[]>> = {};
try {
  // As in bench/serve-case.ts: each server settles (5 s of the first scenario's load, once), then every timed
  // run follows 1 s of warm-up: a server's first seconds of traffic run a higher tail than the rest.
  for (const s of servers) await load({ url: s.url, bodies: scenarios[0]!.bodies, rowsPerRequest: scenarios[0]!.candidates, connections: 1, seconds: 5 });
  for (let r = 0; r < Number(values.repeats); r++) {
    for (const sc of scenarios) {
      for (let i = 0; i < servers.length; i++) {
        const s = servers[(i + r) % servers.length]!;
        await load({ url: s.url, bodies: sc.bodies, rowsPerRequest: sc.candidates, connections: 1, seconds: 1 });
        const f = await load({ url: s.url, bodies: sc.bodies, rowsPerRequest: sc.candidates, connections: 1, amount: Number(values.requests) });
        if (f.errors + f.non2xx > 0) throw new Error(`${s.name} ${sc.name}: ${f.errors} errors, ${f.non2xx} non-2xx answers`);
        ((figures[s.name] ??= {})[sc.name] ??= []).push({ p50_ms: f.p50_ms, p99_ms: f.p99_ms });
        log(`repeat ${r + 1} ${sc.name} ${s.name}: p50 ${f.p50_ms.toFixed(3)} ms, p99 ${f.p99_ms.toFixed(3)} ms`);
      }
    }
  }
} finally {
  for (const s of servers) s.child.kill('SIGTERM');
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const results = Object.fromEntries(
  Object.entries(figures).map(([server, byScenario]) => [
    server,
    Object.fromEntries(Object.entries(byScenario).map(([sc, rs]) => [sc, { p50_ms: median(rs.map((x) => x.p50_ms)), p99_ms: median(rs.map((x) => x.p99_ms)), repeats: rs }])),
  ]),
);
const model = readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/)?.[1] ?? cpus()[0]?.model;
process.stdout.write(`${JSON.stringify({ case: 'serve_latency', cpu: model, cores: cpus().length, server_cpus: values['server-cpus'], client_cpus: values['client-cpus'], requests: Number(values.requests), repeats: Number(values.repeats), load_before: loadBefore, load_after: loadavg(), node: process.version, results })}\n`);
process.exit(0);
