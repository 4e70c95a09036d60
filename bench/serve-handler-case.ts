/**
 * The per-request CPU of `widedeep serve`'s request handling, without sockets: the Fastify server of this tree
 * and, with `--baseline-root DIR`, the server of another tree (e.g. the previous main, `git archive` unpacked
 * with this tree's node_modules linked in; the flag repeated: `baseline`, `baseline2`, ... in that order)
 * answer the same 200-candidate requests in one process, through light-my-request, on one loaded model, in
 * alternating rounds. Prints one JSON line: per server the median over rounds of the main thread's CPU per
 * request (from /proc: schedstat's ns, or stat's 10 ms ticks where the kernel has no schedstat: then keep
 * rounds long), of the process's CPU (ONNX Runtime threads included) and of the wall time per request.
 *
 *   npx tsx bench/serve-handler-case.ts --bundle DIR [--baseline-root DIR ...] [--candidates 200] [--rounds 10] [--per-round 200]
 *       [--profile FILE.cpuprofile]
 *
 * What it is for: finding where a change to the HTTP layer costs time (serve-case.ts measures over loopback,
 * where the client and the kernel add their own noise). Linux only (/proc/self/task). All servers are
 * created with `http.createServer` patched to hand back their node:http server (the request handler is then
 * driven by `server.emit('request', req, res)`), and log their request lines to /dev/null in batches.
 * `--profile` writes a V8 CPU profile of the timed rounds only (no start-up, no warm-up), for Chrome's DevTools.
 */
import http from 'node:http';
import { existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { syncBuiltinESMExports } from 'node:module';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import inject from 'light-my-request';

const { values } = parseArgs({
  options: {
    bundle: { type: 'string' },
    'baseline-root': { type: 'string', multiple: true },
    candidates: { type: 'string', default: '200' },
    rounds: { type: 'string', default: '10' },
    'per-round': { type: 'string', default: '200' },
    profile: { type: 'string' },
  },
});
if (values.bundle === undefined) throw new Error('--bundle DIR is required (e.g. bench/serve-case.ts --keep-bundle DIR)');
const ROOT = resolve(import.meta.dirname, '..');

// Every server created from here on is kept, so that its request handler can be driven directly.
const servers: http.Server[] = [];
const create = http.createServer;
(http as { createServer: unknown }).createServer = (...a: unknown[]) => {
  const s = (create as (...x: unknown[]) => http.Server)(...a);
  servers.push(s);
  return s;
};
syncBuiltinESMExports();

const { loadBundle } = await import('../src/artifact/bundle.js');
const { paperBodies } = await import('./serve-bodies.js');
const { serveModel } = await import('../src/serve/server.js');
const { batchedLog } = await import('../src/serve/http/log-destination.js');
const { model, bundle } = await loadBundle(values.bundle);
// Every server logs its request lines (a tree without a request log ignores the option).
const options = { port: 0, logger: { level: 'info', stream: batchedLog({ fd: openSync('/dev/null', 'w') }).stream } };
const variants: [string, http.Server][] = [];
for (const [i, root] of (values['baseline-root'] ?? []).entries()) {
  const base = (await import(resolve(root, 'src/serve/server.ts'))) as { serveModel: typeof serveModel };
  await base.serveModel(model, bundle.spec, options);
  variants.push([i === 0 ? 'baseline' : `baseline${i + 1}`, servers.at(-1)!]);
}
await serveModel(model, bundle.spec, options);
variants.push(['widedeep', servers.at(-1)!]);

const k = Number(values.candidates);
const bodies = paperBodies(k, 50);

async function one(server: http.Server, body: string): Promise<void> {
  const r = await inject((req, res) => server.emit('request', req, res), { method: 'POST', url: '/predict', payload: body, headers: { 'content-type': 'application/json' } });
  if (r.statusCode !== 200) throw new Error(`status ${r.statusCode}: ${r.payload.slice(0, 200)}`);
}
/** Starts V8's sampling profiler; the function returned stops it and resolves with the profile. */
async function startProfile(): Promise<() => Promise<object>> {
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object): Promise<unknown> => new Promise((ok, fail) => session.post(method, params ?? {}, (err, r) => (err ? fail(err) : ok(r))));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 100 });
  await post('Profiler.start');
  return async () => ((await post('Profiler.stop')) as { profile: object }).profile;
}

/** CPU of this process's main thread, ms: from schedstat (ns) where the kernel has it, else stat (10 ms ticks). */
const SCHEDSTAT = `/proc/self/task/${process.pid}/schedstat`;
const hasSchedstat = existsSync(SCHEDSTAT);
function mainThreadMs(): number {
  if (hasSchedstat) return Number(readFileSync(SCHEDSTAT, 'utf8').split(' ')[0]) / 1e6;
  const f = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

for (const [, server] of variants) for (let i = 0; i < 300; i++) await one(server, bodies[i % bodies.length]!);
const per = Number(values['per-round']);
const profiler = values.profile !== undefined ? await startProfile() : undefined;
const figures = new Map(variants.map(([name]) => [name, { main: [] as number[], cpu: [] as number[], wall: [] as number[] }]));
for (let r = 0; r < Number(values.rounds); r++) {
  for (let v = 0; v < variants.length; v++) {
    const [name, server] = variants[(v + r) % variants.length]!;
    const c0 = process.cpuUsage();
    const m0 = mainThreadMs();
    const t0 = performance.now();
    for (let i = 0; i < per; i++) await one(server, bodies[i % bodies.length]!);
    const c = process.cpuUsage(c0);
    const f = figures.get(name)!;
    f.main.push(((mainThreadMs() - m0) * 1000) / per);
    f.cpu.push((c.user + c.system) / per);
    f.wall.push(((performance.now() - t0) * 1000) / per);
  }
}
if (profiler !== undefined) writeFileSync(values.profile!, JSON.stringify(await profiler()));
const median = (a: number[]): number => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
const out: Record<string, unknown> = { case: 'serve_handler', candidates: k, rounds: Number(values.rounds), per_round: per, root: ROOT };
for (const [name, f] of figures) out[name] = { main_thread_us: Math.round(median(f.main)), process_cpu_us: Math.round(median(f.cpu)), wall_us: Math.round(median(f.wall)) };
process.stdout.write(`${JSON.stringify(out)}\n`);
process.exit(0);
