/**
 * The serving benchmark's load generator (bench/serve-case.ts): autocannon, Node's standard HTTP load tool, run
 * in this process against one server, the same way for every server measured.
 *
 * autocannon keeps `connections` keep-alive connections, each sending its next request as soon as its answer
 * is in (a closed loop), cycling through the request bodies given. Its own latency percentiles are whole
 * milliseconds (its HDR histogram's unit), too coarse for a 2 ms goal, so every 2xx answer's latency is taken
 * from its 'response' event (process.hrtime, fractions of a millisecond) and the percentiles are computed here
 * (nearest rank). Rows/s counts the rows of 2xx answers only (every body of a run carries the same number of
 * rows). The client's CPU time (this process) is measured over the run: with 2 cores it competes with the
 * server, and it says how much of the machine the client took.
 */
// @ts-expect-error autocannon ships no types: the part used is typed below.
import autocannonModule from 'autocannon';

interface AutocannonResult {
  readonly errors: number;
  readonly timeouts: number;
  readonly non2xx: number;
  readonly '2xx': number;
  readonly duration: number;
}
interface AutocannonInstance {
  on(event: 'response', listener: (client: unknown, statusCode: number, resBytes: number, responseTime: number) => void): void;
  on(event: 'done', listener: (result: AutocannonResult) => void): void;
  on(event: 'error', listener: (err: Error) => void): void;
}
type Autocannon = (opts: Record<string, unknown>, done?: (err: Error | null, result: AutocannonResult) => void) => AutocannonInstance;
// Imported (not required) so that a bundler takes it in (bench/device/pack-serve.sh).
const autocannon = autocannonModule as unknown as Autocannon;

/** One load pattern of the serve bench: candidates per request, clients, and a request count or a duration. */
export interface Scenario {
  readonly name: string;
  readonly candidates: number;
  readonly connections: number;
  readonly amount?: number;
  readonly seconds?: number;
}

export interface LoadOptions {
  readonly url: string;
  /** Request bodies (JSON), cycled through by every connection (autocannon builds a buffer for each body on
   *  each connection: keep them few, e.g. 32). */
  readonly bodies: readonly string[];
  /** Rows in each body (the same for every body of a run). */
  readonly rowsPerRequest: number;
  readonly connections: number;
  /** Stop after this many requests (latency runs), or ... */
  readonly amount?: number;
  /** ... after this many seconds (throughput runs). */
  readonly seconds?: number;
  /** Requests per second over all connections (autocannon's overallRate: an open, fixed-rate load); none: as fast as answered. */
  readonly rate?: number;
}

export interface LoadResult {
  readonly requests: number;
  readonly errors: number;
  readonly non2xx: number;
  readonly p50_ms: number;
  readonly p99_ms: number;
  readonly mean_ms: number;
  readonly rows_per_s: number;
  readonly requests_per_s: number;
  readonly wall_s: number;
  /** CPU seconds of the client (this process) per second of the run: 1 = one core. */
  readonly client_cores: number;
}

/** The q-quantile of ascending `sorted` by nearest rank (the smallest value with at least q of them at or below it). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/** p50, p99 and mean of latencies in milliseconds (any order). */
export function latencySummary(latencies: readonly number[]): { p50_ms: number; p99_ms: number; mean_ms: number } {
  const sorted = [...latencies].sort((a, b) => a - b);
  const sum = sorted.reduce((a, b) => a + b, 0);
  return { p50_ms: quantile(sorted, 0.5), p99_ms: quantile(sorted, 0.99), mean_ms: sorted.length ? sum / sorted.length : Number.NaN };
}

/** One closed-loop run of autocannon against `options.url` + /predict. */
export async function load(options: LoadOptions): Promise<LoadResult> {
  const latencies: number[] = [];
  // The measured window: from the first answered request's start to the last answer (autocannon builds every
  // connection's request buffers before it sends, which is not the server's time).
  let first = Infinity;
  let last = -Infinity;
  const requests = options.bodies.map((body) => ({ method: 'POST', path: '/predict', body, headers: { 'content-type': 'application/json' } }));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const result = await new Promise<AutocannonResult>((ok, fail) => {
    const instance = autocannon(
      {
        url: options.url,
        connections: options.connections,
        pipelining: 1,
        requests,
        ...(options.amount !== undefined ? { amount: options.amount } : { duration: options.seconds ?? 3 }),
        timeout: 30,
        ...(options.rate !== undefined ? { overallRate: options.rate } : {}),
      },
      (err, res) => (err ? fail(err) : ok(res)),
    );
    instance.on('response', (_client, status, _bytes, ms) => {
      const now = performance.now();
      first = Math.min(first, now - ms);
      last = now;
      if (status >= 200 && status < 300) latencies.push(ms);
    });
  });
  const wall = last > first ? (last - first) / 1000 : (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const ok = result['2xx'];
  return {
    requests: ok + result.non2xx,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    ...latencySummary(latencies),
    rows_per_s: (ok * options.rowsPerRequest) / wall,
    requests_per_s: ok / wall,
    wall_s: wall,
    client_cores: (cpu.user + cpu.system) / 1e6 / ((performance.now() - t0) / 1000),
  };
}
