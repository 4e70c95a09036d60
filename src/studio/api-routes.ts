import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { currentDir } from '../artifact/atomic-dir.js';
import { readBundle } from '../artifact/bundle.js';
import type { LoadedBundle } from '../artifact/bundle-model.js';
import { type ExampleRow, exampleRowOf, readTestSplit, type TestSplit } from './example-row.js';
import { experimentsView } from './experiments-view.js';
import { noModel, noRun } from './http-errors.js';
import { type ModelView, modelView } from './model-view.js';
import { runChartsOf } from './run-view.js';
import { findRun, listRuns } from './runs.js';

/**
 * The studio's JSON API, all GET: /api/runs (every fit and trial under --runs, unreadable files listed with
 * their error), /api/runs/:id (one run's record), /api/runs/:id/charts (its charts as Vega-Lite specs),
 * /api/experiments (every suite: summary, table, charts, the trials behind each point), /api/model (the
 * bundle's facts, columns, embedding norms, form fields) and /api/model/example-row (a row to start the
 * what-if form from). Files are read on each request, so a run that finishes shows on the next reload; the
 * bundle is read again only when its current version or manifest changes.
 */

export interface ApiConfig {
  readonly runsDir: string;
  readonly modelDir: string | null;
}

/**
 * The bundle and its model view, read and computed again only when the version directory or its manifest's
 * mtime changed (sorting every wide weight of a large model takes a while).
 */
function bundleCache(modelDir: string) {
  type Held = { key: string; dir: string; bundle: LoadedBundle; view?: ModelView; split?: Promise<TestSplit> };
  let held: Held | null = null;
  const load = async (): Promise<Held> => {
    const dir = await currentDir(modelDir);
    // A missing manifest keys as 0: readBundle then throws the error that names it.
    const key = `${dir}:${(await stat(join(dir, 'manifest.json')).catch(() => null))?.mtimeMs ?? 0}`;
    if (held?.key !== key) {
      held = { key, dir, bundle: await readBundle(modelDir, { loadable: true }) };
    }
    return held;
  };
  const view = async (): Promise<{ dir: string; view: ModelView }> => {
    const h = await load();
    h.view ??= modelView(h.bundle);
    return { dir: h.dir, view: h.view };
  };
  // The test split is read once per bundle version: "another test row" then answers at once.
  const example = async (index: number): Promise<ExampleRow> => {
    const h = await load();
    h.split ??= readTestSplit(h.bundle, join(h.dir, 'manifest.json'));
    return exampleRowOf(h.bundle, await h.split, index);
  };
  return { view, example };
}

export function registerApi(app: FastifyInstance, config: ApiConfig): void {
  const { runsDir } = config;
  const model = config.modelDir === null ? null : bundleCache(config.modelDir);
  app.get('/api/runs', async () => listRuns(runsDir));
  app.get<{ Params: { id: string } }>('/api/runs/:id', async (request) => {
    const run = await findRun(runsDir, request.params.id);
    if (run === null) throw noRun(request.params.id);
    return run;
  });
  app.get<{ Params: { id: string } }>('/api/runs/:id/charts', async (request) => {
    const run = await findRun(runsDir, request.params.id);
    if (run === null) throw noRun(request.params.id);
    return { id: run.summary.id, charts: runChartsOf(run) };
  });
  app.get('/api/experiments', async () => experimentsView(runsDir));
  app.get('/api/model', async () => {
    if (model === null) throw noModel();
    const { dir, view } = await model.view();
    return { dir: config.modelDir, version: dir, ...view };
  });
  app.get<{ Querystring: { index?: string } }>('/api/model/example-row', async (request) => {
    if (model === null) throw noModel();
    const index = Number(request.query.index ?? 0);
    return model.example(Number.isInteger(index) ? index : 0);
  });
}
