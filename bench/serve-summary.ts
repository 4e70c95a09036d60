/**
 * The arithmetic of the serving benchmark (bench/serve-case.ts), apart from the I/O so that it can be tested:
 * server names to command-line settings, medians over repeats, the best configuration of each group of
 * servers per scenario, and same-run ratios.
 *
 * Groups: every server named `widedeep...` belongs to `widedeep`, `fastapi...` to `fastapi`, `httpserver` to
 * `httpserver`, `baseline...` (`widedeep serve` of another tree, e.g. the last commit's) to `baseline`. A group's figure for a scenario is its best member's (highest median rows/s: at one client at
 * a time that is the lowest mean latency), as a team running either stack would pick its faster settings.
 * A ratio is taken within each repeat (the same minute of the same machine) and the median of those is kept:
 * rows/s widedeep / peer, latency peer / widedeep, so above 1 means widedeep is ahead either way.
 */
export interface RepeatFigures {
  readonly p50_ms: number;
  readonly p99_ms: number;
  readonly mean_ms: number;
  readonly rows_per_s: number;
  readonly requests: number;
  readonly errors: number;
  readonly non2xx: number;
  readonly client_cores: number;
  readonly server_cores: number;
}

/** Figures of one server in one scenario: one entry per repeat, in repeat order. */
export type Repeats = readonly RepeatFigures[];

export type Group = 'widedeep' | 'baseline' | 'fastapi' | 'httpserver' | 'floor';

export interface ParsedServer {
  readonly kind: Group;
  readonly args: string[];
  /** FastAPI workers to wait for. */
  readonly workers: number;
  /** widedeep: keep its request log (`-log`: one line a request, sent to /dev/null); else it runs with
   *  `--log-level warn` where the CLI has that flag, as the peers run without an access log. */
  readonly requestLog: boolean;
}

/**
 * The settings in a server's name: `widedeep`, `widedeep-w2` (serve --workers 2), `widedeep-t1` (--threads 1),
 * `widedeep-log` (its request log kept), `baseline[-wN][-tT]` (the same for the baseline tree's CLI),
 * `httpserver[-tT]`, `fastapi-wN[-async|-sync][-tT]` (uvicorn workers, endpoint kind, torch threads per worker),
 * `floor` (bench/serve-floor.ts: no model, the machine's own latency floor).
 * Peers take `peerThreads` torch threads and FastAPI the `endpoint` given unless the name says otherwise.
 */
export function parseServer(name: string, defaults: { readonly peerThreads: number; readonly endpoint: 'async' | 'sync' }): ParsedServer {
  const [head, ...parts] = name.split('-');
  if (head !== 'widedeep' && head !== 'baseline' && head !== 'fastapi' && head !== 'httpserver' && head !== 'floor') {
    throw new Error(`unknown server ${name}: use widedeep[-wN][-tT], baseline[-wN][-tT], httpserver[-tT], fastapi[-wN][-async|-sync][-tT] or floor`);
  }
  if (head === 'floor' && parts.length > 0) throw new Error(`server floor takes no settings, got ${name}`);
  let workers: number | undefined;
  let threads: number | undefined;
  let endpoint: string | undefined;
  let requestLog = false;
  for (const p of parts) {
    if (/^w\d+$/.test(p) && head !== 'httpserver') workers = Number(p.slice(1));
    else if (p === 'log' && (head === 'widedeep' || head === 'baseline')) requestLog = true;
    else if (/^t\d+$/.test(p)) threads = Number(p.slice(1));
    else if ((p === 'async' || p === 'sync') && head === 'fastapi') endpoint = p;
    else throw new Error(`unknown setting "${p}" in server ${name}`);
  }
  if (head === 'widedeep' || head === 'baseline') {
    return { kind: head, workers: workers ?? 1, requestLog, args: [...(workers !== undefined ? ['--workers', String(workers)] : []), ...(threads !== undefined ? ['--threads', String(threads)] : [])] };
  }
  if (head === 'floor') return { kind: head, workers: 1, requestLog: false, args: [] };
  const t = String(threads ?? defaults.peerThreads);
  if (head === 'httpserver') return { kind: head, workers: 1, requestLog: false, args: ['--threads', t] };
  const w = workers ?? 1;
  return { kind: head, workers: w, requestLog: false, args: ['--workers', String(w), '--endpoint', endpoint ?? defaults.endpoint, '--threads', t] };
}

export const groupOf = (name: string): Group => name.split('-')[0] as Group;

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Per figure, the median over repeats (counts: the sum). */
export function medianFigures(repeats: Repeats): RepeatFigures {
  const m = (k: keyof RepeatFigures): number => median(repeats.map((r) => r[k]));
  const sum = (k: keyof RepeatFigures): number => repeats.reduce((a, r) => a + r[k], 0);
  return {
    p50_ms: m('p50_ms'),
    p99_ms: m('p99_ms'),
    mean_ms: m('mean_ms'),
    rows_per_s: m('rows_per_s'),
    requests: sum('requests'),
    errors: sum('errors'),
    non2xx: sum('non2xx'),
    client_cores: m('client_cores'),
    server_cores: m('server_cores'),
  };
}

/** The member of `group` with the highest median rows/s in a scenario, among `byServer` (server -> repeats). */
export function bestOf(group: Group, byServer: ReadonlyMap<string, Repeats>): string | null {
  let best: string | null = null;
  let bestRows = -Infinity;
  for (const [name, repeats] of byServer) {
    if (groupOf(name) !== group) continue;
    const rows = median(repeats.map((r) => r.rows_per_s));
    if (rows > bestRows) [best, bestRows] = [name, rows];
  }
  return best;
}

export interface Ratios {
  /** widedeep rows/s / peer rows/s, median over repeats (and each repeat's). */
  readonly rows_per_s: number;
  readonly rows_per_s_all: number[];
  /** peer latency / widedeep latency, medians over repeats. */
  readonly p50: number;
  readonly p99: number;
}

/** Same-run ratios of `ours` against `peer` (repeats aligned: index i of both ran in repeat i). */
export function ratios(ours: Repeats, peer: Repeats): Ratios {
  const n = Math.min(ours.length, peer.length);
  const each = (f: (o: RepeatFigures, p: RepeatFigures) => number): number[] => Array.from({ length: n }, (_, i) => f(ours[i]!, peer[i]!));
  const rows = each((o, p) => o.rows_per_s / p.rows_per_s);
  return { rows_per_s: median(rows), rows_per_s_all: rows, p50: median(each((o, p) => p.p50_ms / o.p50_ms)), p99: median(each((o, p) => p.p99_ms / o.p99_ms)) };
}
