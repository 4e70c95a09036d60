import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadBundle } from '../../src/artifact/bundle.js';
import { serveCluster } from '../../src/serve/cluster.js';
import { predictRows } from '../../src/serve/predict-rows.js';
import { type RunningServer, serveBundle } from '../../src/serve/server.js';
import { rowsFor, writeVersionOf } from './bundle-versions.js';

// Issue #15: reload 5 times while 2,000 requests run: zero failed requests, and every response comes from
// the model whose digest it reports.

const TOKEN = 'reload-under-load-admin-token-0123456789';
const REQUESTS = 2000;
const CLIENTS = 16;
const RELOADS = 5;

/** The request bodies the clients cycle through: 25 sets of 1 to 9 rows. */
const BODIES = Array.from({ length: 25 }, (_, i) => rowsFor(1 + (i % 9), i * 11));

/** Per digest, the in-process predictions of that version for every body. */
type Expected = Map<string, number[][]>;

/** Writes version `k` into `dir` and records its predictions for every body, computed in this process. */
async function publish(dir: string, k: number, expected: Expected): Promise<string> {
  const digest = await writeVersionOf(dir, k);
  const { model, bundle } = await loadBundle(dir);
  try {
    expected.set(digest, await Promise.all(BODIES.map(async (rows) => (await predictRows(model, bundle.spec, rows)).predictions as number[])));
  } finally {
    await model.release();
  }
  return digest;
}

interface Outcome {
  readonly failures: string[];
  readonly seen: Map<string, number>;
  readonly reloads: string[][];
}

/** 2,000 requests from 16 clients, with a new version written and POST /admin/reload 5 times along the way. */
async function underLoad(server: RunningServer, dir: string, expected: Expected, workers: number): Promise<Outcome> {
  const failures: string[] = [];
  const seen = new Map<string, number>();
  const reloads: string[][] = [];
  let next = 0;
  let started = 0;
  const client = async (): Promise<void> => {
    while (next < REQUESTS) {
      const i = next++;
      const b = i % BODIES.length;
      // The requests come in RELOADS + 1 phases; phase r starts with reload r's POST, while phase r - 1 may
      // still be in flight: every reload happens under load, and every version answers some requests.
      while (started < Math.floor((i * (RELOADS + 1)) / REQUESTS)) await new Promise((res) => setTimeout(res, 1));
      try {
        const res = await fetch(`${server.url}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ rows: BODIES[b] }) });
        const json = (await res.json()) as { predictions?: number[] };
        const digest = res.headers.get('x-model-digest') ?? '';
        const want = expected.get(digest)?.[b];
        if (res.status !== 200) failures.push(`request ${i}: status ${res.status} ${JSON.stringify(json)}`);
        else if (want === undefined) failures.push(`request ${i}: unknown digest ${digest}`);
        else if (json.predictions?.length !== want.length || json.predictions.some((p, j) => Math.abs(p - (want[j] as number)) > 1e-6)) failures.push(`request ${i}: predictions differ from ${digest}'s`);
        seen.set(digest, (seen.get(digest) ?? 0) + 1);
      } catch (err) {
        failures.push(`request ${i}: ${(err as Error).message}`);
      }
    }
  };
  const reloader = async (): Promise<void> => {
    for (let r = 1; r <= RELOADS; r++) {
      const digest = await publish(dir, r, expected);
      started = r;
      const res = await fetch(`${server.url}/admin/reload`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
      const body = (await res.json()) as { digests: string[] };
      expect(res.status).toBe(200);
      expect(body.digests).toEqual(Array.from({ length: workers }, () => digest));
      reloads.push(body.digests);
    }
  };
  await Promise.all([reloader(), ...Array.from({ length: CLIENTS }, client)]);
  return { failures, seen, reloads };
}

function check(outcome: Outcome, expected: Expected): void {
  expect(outcome.failures).toEqual([]);
  expect(outcome.reloads).toHaveLength(RELOADS);
  expect([...outcome.seen.values()].reduce((a, b) => a + b, 0)).toBe(REQUESTS);
  // Every answer names a version that was published, and the reloads happened while requests ran.
  for (const d of outcome.seen.keys()) expect(expected.has(d)).toBe(true);
  expect(outcome.seen.size).toBe(RELOADS + 1);
}

describe('hot reload under load', () => {
  it('single process: zero failed requests, each answered by the model its x-model-digest names', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'wd-reload-')), 'model');
    const expected: Expected = new Map();
    await publish(dir, 0, expected);
    const server = await serveBundle(dir, { port: 0, adminToken: TOKEN });
    try {
      check(await underLoad(server, dir, expected, 1), expected);
    } finally {
      await server.close();
    }
  });

  it('--workers 2: the same, and every reload answers both workers\' digests', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'wd-reload-')), 'model');
    const expected: Expected = new Map();
    await publish(dir, 0, expected);
    const server = await serveCluster(dir, { port: 0, adminToken: TOKEN, workers: 2 });
    try {
      check(await underLoad(server, dir, expected, 2), expected);
    } finally {
      await server.close();
    }
  });
});
