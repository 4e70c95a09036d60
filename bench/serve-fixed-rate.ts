/**
 * The serve bench's fixed-rate load (issue 15's load item): one server answers an open load of 100-candidate
 * requests at a fixed rate, 80% of its measured maximum, for 60 s (bench/serve-case.ts `fixed_rate`). The
 * maximum is the same server's closed-loop `load_100` figure of the same run, or a closed-loop run of its own
 * when that scenario was not measured. autocannon sends at the rate over `connections` keep-alive connections
 * (overallRate); the server's RSS (its whole process tree: cluster workers included) is sampled every second.
 * Reported: p50/p99, errors and non-2xx answers (the goal: none), the rate asked and achieved, and RSS before
 * the load, at 5 s (first), at the end (last), max, and its least-squares slope from 5 s on in MB per minute
 * (flat: near 0).
 */
import { load } from './serve-load.js';
import { treeRssMb, type RunningServer } from './serve-servers.js';

/** Seconds of the run before its RSS counts as steady (see rss_mb below). */
const WARM_S = 5;

export interface FixedRateOptions {
  readonly candidates: number;
  readonly connections: number;
  readonly seconds: number;
  /** Share of the maximum to send (0.8). */
  readonly fraction: number;
  /** The server's closed-loop maximum in requests/s, if already measured in this run. */
  readonly maxRequestsPerS?: number;
}

/** Least-squares slope of `ys` sampled once a second, in units per minute. */
export function slopePerMinute(ys: readonly number[]): number {
  const n = ys.length;
  if (n < 2) return Number.NaN;
  const mx = (n - 1) / 2;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (i - mx) * (ys[i]! - my);
    den += (i - mx) ** 2;
  }
  return (num / den) * 60;
}

/** One fixed-rate run against `server` (see the file comment). */
export async function fixedRate(server: RunningServer, bodies: readonly string[], options: FixedRateOptions): Promise<Record<string, unknown>> {
  const base = { url: server.url, bodies, rowsPerRequest: options.candidates, connections: options.connections };
  let max = options.maxRequestsPerS;
  const measuredMax = max === undefined;
  if (max === undefined) max = (await load({ ...base, seconds: 5 })).requests_per_s;
  const rate = Math.max(1, Math.round(max * options.fraction));
  const rss: number[] = [treeRssMb(server.pid)];
  const timer = setInterval(() => rss.push(treeRssMb(server.pid)), 1000);
  let r;
  try {
    r = await load({ ...base, seconds: options.seconds, rate });
  } finally {
    clearInterval(timer);
  }
  rss.push(treeRssMb(server.pid));
  const steady = rss.slice(Math.min(WARM_S + 1, rss.length - 2));
  const round = (v: number): number => Math.round(v * 10) / 10;
  return {
    server: server.spec.name,
    candidates: options.candidates,
    connections: options.connections,
    seconds: options.seconds,
    max_requests_per_s: max,
    max_from: measuredMax ? 'a 5 s closed-loop run before it' : 'load_100 of this run (median)',
    fraction: options.fraction,
    rate_requests_per_s: rate,
    achieved_requests_per_s: r.requests_per_s,
    rows_per_s: r.rows_per_s,
    p50_ms: r.p50_ms,
    p99_ms: r.p99_ms,
    mean_ms: r.mean_ms,
    requests: r.requests,
    errors: r.errors,
    non2xx: r.non2xx,
    // `before`: idle, before the load; the rest over the run after WARM_S (the heap's working set grows in its
    // first seconds, then GC saws it up and down): `first` at WARM_S, `last` at the end, slope over that span.
    rss_mb: { before: round(rss[0]!), first: round(steady[0]!), last: round(rss.at(-1)!), max: round(Math.max(...rss)), slope_mb_per_min: round(slopePerMinute(steady)), samples: rss.map(round) },
  };
}
