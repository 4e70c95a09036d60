import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentDir } from '../../src/artifact/atomic-dir.js';
import { loadBundle, readBundle } from '../../src/artifact/bundle.js';
import { readResults } from '../../src/experiments/results-file.js';
import { summarizeSuite } from '../../src/experiments/summary.js';
import { inputColumns } from '../../src/features/checks.js';
import { runCharts } from '../../src/report/run-charts.js';
import { readRunRecord } from '../../src/report/run-record.js';
import { predictRows } from '../../src/serve/predict-rows.js';
import { modelFacts } from '../../src/studio/model-facts.js';
import { type Studio, startStudio } from '../../src/studio/server.js';
import { makeStudioRuns, type StudioRuns } from './fixture.js';
import { getJson, rawGet } from './http.js';

// Issue 17, section 2: the studio's JSON API and static files on a real server (127.0.0.1, port 0), over a
// runs directory made by the real fit and experiment commands.

type Json = Record<string, unknown>;
let fx: StudioRuns;
let studio: Studio;
let web: string;

beforeAll(async () => {
  fx = await makeStudioRuns();
  web = mkdtempSync(join(tmpdir(), 'wd-studio-web-'));
  writeFileSync(join(web, 'widedeep-web.js'), 'export const built = true;\n');
  studio = await startStudio({ runsDir: fx.runs, modelDir: fx.model, port: 0, webDir: web, appDir: join(web, 'no-app') });
}, 240_000);

afterAll(async () => {
  await studio?.close();
});

describe('studio API: runs', () => {
  it('lists the fit and every trial, and the unreadable run.json with its error', async () => {
    const { status, body } = await getJson<{ runs: Json[]; errors: { path: string; error: string }[] }>(studio.url, '/api/runs');
    expect(status).toBe(200);
    const fits = body.runs.filter((r) => r.kind === 'fit');
    expect(fits.map((r) => r.id)).toEqual(['fit:small']);
    const trials = readResults(fx.results);
    expect(body.runs.filter((r) => r.kind === 'trial').map((r) => [r.suite, r.variant, r.seed])).toEqual(trials.map((t) => [t.suite, t.variant, t.seed]));
    expect(body.errors).toHaveLength(1);
    expect(body.errors[0]?.path).toBe('broken/run.json');
    expect(body.errors[0]?.error).toMatch(/not valid JSON/);
  });

  it("answers a fit's run.json and a trial's line as written, and their charts", async () => {
    const fit = await getJson<{ summary: Json; record: Json }>(studio.url, `/api/runs/${encodeURIComponent('fit:small')}`);
    expect(fit.status).toBe(200);
    const record = await readRunRecord(join(fx.runs, 'small'));
    expect(fit.body.record).toEqual(JSON.parse(JSON.stringify(record)));
    const charts = await getJson<{ charts: { id: string }[] }>(studio.url, `/api/runs/${encodeURIComponent('fit:small')}/charts`);
    expect(charts.body.charts).toEqual(JSON.parse(JSON.stringify(runCharts(record))));
    expect(charts.body.charts.map((c) => c.id)).toEqual(expect.arrayContaining(['learning-curves', 'roc']));

    const line = readResults(fx.results)[3];
    const trial = await getJson<{ summary: Json; record: Json }>(studio.url, `/api/runs/${encodeURIComponent('trial:experiments/tiny.jsonl#3')}`);
    expect(trial.body.record).toEqual(line);
    const trialCharts = await getJson<{ charts: { id: string }[] }>(studio.url, `/api/runs/${encodeURIComponent('trial:experiments/tiny.jsonl#3')}/charts`);
    expect(trialCharts.body.charts.map((c) => c.id)).toEqual(expect.arrayContaining(['learning-curves', 'roc']));
  });

  it('answers 404 for a run that is not under the runs directory, however its id is written', async () => {
    for (const id of ['fit:nope', 'fit:../small', 'fit:broken', 'trial:experiments/tiny.jsonl#99', 'trial:../../etc/passwd#0', 'other']) {
      const res = await getJson<{ error: Json }>(studio.url, `/api/runs/${encodeURIComponent(id)}`);
      expect(res.status, id).toBe(id === 'fit:broken' ? 500 : 404);
      expect(res.body.error.code, id).toBe(id === 'fit:broken' ? 'DATA' : 'NOT_FOUND');
    }
  });
});

describe('studio API: experiments', () => {
  it("summarises every suite as the report does, with the trials behind each point", async () => {
    const { body } = await getJson<{ suites: { suite: string; file: string; summary: Json; points: { variant: string; trials: { id: string; seed: number; value: number }[] }[] }[] }>(studio.url, '/api/experiments');
    expect(body.suites.map((s) => s.suite)).toEqual(['tiny']);
    const s = body.suites[0]!;
    const records = readResults(fx.results);
    expect(s.summary).toEqual(JSON.parse(JSON.stringify(summarizeSuite(records))));
    for (const p of s.points) {
      for (const t of p.trials) {
        const run = await getJson<{ record: { variant: string; seed: number; test: { auc: number } } }>(studio.url, `/api/runs/${encodeURIComponent(t.id)}`);
        expect([run.body.record.variant, run.body.record.seed]).toEqual([p.variant, t.seed]);
        expect(t.value).toBe(run.body.record.test.auc);
      }
    }
    expect(s.points.flatMap((p) => p.trials)).toHaveLength(records.length);
  });
});

describe('studio API: model', () => {
  it("answers inspect's facts, embedding norms and the form's fields", async () => {
    const { body } = await getJson<{ facts: Json; embeddings: { table: string; rows: number; dim: number; mean: number; max: number }[]; inputs: { name: string; control: string; values: string[] }[] }>(studio.url, '/api/model');
    const b = await readBundle(fx.model, { loadable: true });
    expect(body.facts).toEqual(JSON.parse(JSON.stringify(modelFacts(b, { top: 25 }))));
    // Norms recomputed here from the tensor, rows 1.. (row 0 is the unseen/padding row).
    for (const e of body.embeddings) {
      const w = b.state.tensors.get(`emb.${e.table}`)!;
      const norms = Array.from({ length: e.rows - 1 }, (_, i) => Math.hypot(...w.subarray((i + 1) * e.dim, (i + 2) * e.dim)));
      expect(e.max).toBeCloseTo(Math.max(...norms), 6);
      expect(e.mean).toBeCloseTo(norms.reduce((a, x) => a + x, 0) / norms.length, 6);
    }
    expect(body.embeddings.map((e) => e.table).sort()).toEqual(b.sizes.embeddings.map((e) => e.key).sort());
    expect(body.inputs.map((f) => f.name)).toEqual(inputColumns(b.spec));
    const control = Object.fromEntries(body.inputs.map((f) => [f.name, f.control]));
    expect(control).toMatchObject({ age: 'number', country: 'select', user_id: 'text', installed_apps: 'list' });
    const country = b.spec.columns.find((c) => c.name === 'country')!;
    expect(body.inputs.find((f) => f.name === 'country')?.values).toEqual('encoding' in country && country.encoding.kind === 'vocabulary' ? country.encoding.values : null);
  });

  it('answers a test row that the model scores, and another row for another index', async () => {
    const first = await getJson<{ row: Json; from: string; note: string }>(studio.url, '/api/model/example-row');
    const second = await getJson<{ row: Json; from: string }>(studio.url, '/api/model/example-row?index=1');
    expect(first.body.from).toBe('test');
    expect(first.body.note).toMatch(/test split/);
    expect(Object.keys(first.body.row)).toEqual(inputColumns((await readBundle(fx.model)).spec));
    expect(second.body.row).not.toEqual(first.body.row);
    const { model, bundle } = await loadBundle(fx.model);
    try {
      const { predictions } = await predictRows(model, bundle.spec, [first.body.row, second.body.row]);
      expect(predictions.every((p) => typeof p === 'number' && p > 0 && p < 1)).toBe(true);
    } finally {
      await model.release();
    }
  });
});

describe('studio: static files', () => {
  it('serves the bundle read-only, as loadBundle fetches it', async () => {
    const version = await currentDir(fx.model);
    const pointer = await rawGet(studio.url, '/bundle/current');
    expect(pointer.status).toBe(200);
    expect(pointer.body).toBe(readFileSync(join(fx.model, 'current'), 'utf8'));
    const name = version.split('/').pop();
    const manifest = await rawGet(studio.url, `/bundle/${name}/manifest.json`);
    expect(manifest.body).toBe(readFileSync(join(version, 'manifest.json'), 'utf8'));
    expect(manifest.headers['cache-control']).toMatch(/immutable/);
    expect((await rawGet(studio.url, '/web/widedeep-web.js')).body).toBe('export const built = true;\n');
    expect((await rawGet(studio.url, '/bundle/current', { method: 'POST' })).status).toBe(405);
  });

  it('refuses every path out of the bundle and web folders: dot segments, encoded, backslashes, symlinks', async () => {
    const secret = join(mkdtempSync(join(tmpdir(), 'wd-secret-')), 'secret.txt');
    writeFileSync(secret, 'secret');
    symlinkSync(secret, join(fx.model, 'link.txt'));
    mkdirSync(join(web, 'sub'));
    const paths = [
      '/bundle/../../etc/passwd',
      '/bundle/%2e%2e/%2e%2e/etc/passwd',
      '/bundle/..%2f..%2f..%2fetc%2fpasswd',
      '/bundle/%2E%2E%2F%2E%2E%2Fsmall%2Frun.json',
      '/bundle/..%5c..%5cetc%5cpasswd',
      '/bundle/%252e%252e/run.json',
      '/bundle/link.txt',
      '/bundle/%00current',
      '/bundle/',
      '/web/../package.json',
      '/web/sub',
      '/web/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
    ];
    for (const p of paths) {
      const res = await rawGet(studio.url, p);
      expect(res.status, p).toBe(404);
      expect(res.body, p).not.toMatch(/root:|secret|"kind":"fit"/);
    }
  });

  it('answers the error shape for unknown paths and methods, and refuses other hosts', async () => {
    const nope = await getJson<{ error: Json }>(studio.url, '/api/nope');
    expect(nope.status).toBe(404);
    expect(nope.body.error.code).toBe('NOT_FOUND');
    const post = await rawGet(studio.url, '/api/runs', { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
    const rebound = await rawGet(studio.url, '/api/runs', { headers: { host: 'attacker.example:80' } });
    expect(rebound.status).toBe(403);
    expect(JSON.parse(rebound.body).error.code).toBe('HOST');
    expect((await rawGet(studio.url, '/api/runs', { headers: { host: `localhost:${new URL(studio.url).port}` } })).status).toBe(200);
  });
});

describe('studio without a model', () => {
  it('answers the model routes with how to give one, and still lists the runs', async () => {
    const bare = await startStudio({ runsDir: fx.runs, port: 0, webDir: web, appDir: web });
    try {
      for (const p of ['/api/model', '/api/model/example-row', '/bundle/current']) {
        const res = await getJson<{ error: { code: string; fix: string } }>(bare.url, p);
        expect(res.status, p).toBe(404);
        expect(res.body.error.code).toBe('NO_MODEL');
        expect(res.body.error.fix).toMatch(/--model/);
      }
      expect((await getJson(bare.url, '/api/runs')).status).toBe(200);
    } finally {
      await bare.close();
    }
  });

  it('lists an empty listing with its error for a runs folder that does not exist', async () => {
    const bare = await startStudio({ runsDir: join(tmpdir(), 'wd-studio-none', 'runs'), port: 0, webDir: web, appDir: web });
    try {
      const { body } = await getJson<{ runs: unknown[]; errors: { path: string; error: string }[] }>(bare.url, '/api/runs');
      expect(body.runs).toEqual([]);
      expect(body.errors[0]?.error).toMatch(/ENOENT/);
    } finally {
      await bare.close();
    }
  });
});
