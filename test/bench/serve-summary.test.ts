import { describe, expect, it } from 'vitest';
import { bestOf, medianFigures, parseServer, ratios, type RepeatFigures } from '../../bench/serve-summary.js';

const defaults = { peerThreads: 1, endpoint: 'async' as const };
const fig = (rows: number, p50: number, p99: number): RepeatFigures => ({ p50_ms: p50, p99_ms: p99, mean_ms: p50, rows_per_s: rows, requests: 10, errors: 0, non2xx: 0, client_cores: 0.1, server_cores: 0.5 });

describe('parseServer: the settings a server name carries', () => {
  it('widedeep takes serve flags only when named, so the plain name runs the CLI defaults', () => {
    expect(parseServer('widedeep', defaults)).toEqual({ kind: 'widedeep', workers: 1, requestLog: false, args: [] });
    expect(parseServer('widedeep-w2-t1', defaults)).toEqual({ kind: 'widedeep', workers: 2, requestLog: false, args: ['--workers', '2', '--threads', '1'] });
    expect(parseServer('baseline-t2', defaults)).toEqual({ kind: 'baseline', workers: 1, requestLog: false, args: ['--threads', '2'] });
    expect(parseServer('widedeep-w2-log', defaults).requestLog).toBe(true);
  });

  it('the floor server (no model) takes no flags', () => {
    expect(parseServer('floor', defaults)).toEqual({ kind: 'floor', workers: 1, requestLog: false, args: [] });
  });

  it('peers get the default threads and endpoint unless the name overrides them', () => {
    expect(parseServer('httpserver', defaults).args).toEqual(['--threads', '1']);
    expect(parseServer('fastapi-w2', defaults)).toEqual({ kind: 'fastapi', workers: 2, requestLog: false, args: ['--workers', '2', '--endpoint', 'async', '--threads', '1'] });
    expect(parseServer('fastapi-sync-t2', { peerThreads: 1, endpoint: 'async' }).args).toEqual(['--workers', '1', '--endpoint', 'sync', '--threads', '2']);
  });

  it('an unknown server or setting is refused with the names that work', () => {
    expect(() => parseServer('flask', defaults)).toThrow(/unknown server flask: use widedeep/);
    expect(() => parseServer('httpserver-w2', defaults)).toThrow(/unknown setting "w2"/);
    expect(() => parseServer('widedeep-sync', defaults)).toThrow(/unknown setting "sync"/);
    expect(() => parseServer('fastapi-log', defaults)).toThrow(/unknown setting "log"/);
    expect(() => parseServer('floor-t2', defaults)).toThrow(/server floor takes no settings/);
  });
});

describe('group figures and same-run ratios', () => {
  it('a group is represented by its member with the highest median rows/s, other groups ignored', () => {
    const byServer = new Map([
      ['fastapi-w1', [fig(100, 5, 9), fig(300, 5, 9), fig(120, 5, 9)]], // median 120
      ['fastapi-w2', [fig(200, 5, 9), fig(90, 5, 9), fig(150, 5, 9)]], // median 150
      ['widedeep', [fig(1000, 1, 2), fig(1000, 1, 2), fig(1000, 1, 2)]],
    ]);
    expect(bestOf('fastapi', byServer)).toBe('fastapi-w2');
    expect(bestOf('widedeep', byServer)).toBe('widedeep');
    expect(bestOf('httpserver', byServer)).toBeNull();
  });

  it('ratios pair repeat i with repeat i (rows/s ours/peer, latency peer/ours) and keep the median', () => {
    const ours = [fig(400, 1, 2), fig(100, 2, 4), fig(300, 1, 2)];
    const peer = [fig(100, 4, 8), fig(100, 4, 8), fig(100, 4, 8)];
    const r = ratios(ours, peer);
    expect(r.rows_per_s_all).toEqual([4, 1, 3]);
    expect(r.rows_per_s).toBe(3);
    // Paired medians differ from the ratio of medians: 300/100 here either way, but p50 ratios are [4, 2, 4].
    expect(r.p50).toBe(4);
    expect(r.p99).toBe(4);
  });

  it('medianFigures takes medians of figures and sums of counts', () => {
    const m = medianFigures([fig(1, 3, 30), { ...fig(5, 1, 10), errors: 2 }, fig(3, 2, 20)]);
    expect([m.rows_per_s, m.p50_ms, m.p99_ms]).toEqual([3, 2, 20]);
    expect([m.requests, m.errors]).toEqual([30, 2]);
  });
});
