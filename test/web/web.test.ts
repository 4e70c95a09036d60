import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentDir } from '../../src/artifact/atomic-dir.js';
import { loadBundle, readBundle } from '../../src/artifact/bundle.js';
import { saveModel } from '../../src/artifact/save-model.js';
import { Rng } from '../../src/core/rng.js';
import { ADULT_COLUMNS } from '../../src/data/datasets/adult.js';
import { inputColumns } from '../../src/features/checks.js';
import type { FittedSpec } from '../../src/features/fitted-spec.js';
import type { WideDeepModel } from '../../src/model/wide-deep.js';
import { webExecutor } from '../../src/runtime/web.js';
import { predictRows } from '../../src/serve/predict-rows.js';
import { fitRun } from '../../src/train/pipeline.js';
import { parseRunConfig } from '../../src/train/run-config.js';
import { errorOfAsync } from '../features/fixtures.js';
import { FIXTURE, expected } from '../helpers/bundle-fixture.js';
import { DATA_DIR } from '../helpers/shared-data.js';
import { smallConfig } from '../helpers/small-config.js';
import { adultLikeConfig, adultLikeRow } from './adult-like.js';
import { buildWeb, CHROMIUM, HAVE_CHROMIUM, inPage, launchChromium, openPage, type PageResult, serveStatic, type StaticServer } from './harness.js';

// Issue 17, section 1: widedeep/web scores a bundle in the page with the same code as Node.

if (!HAVE_CHROMIUM) process.stderr.write(`skipping test/web/web.test.ts: ${CHROMIUM} not found (apt-get install -y chromium)\n`);
const ADULT_TEST = join(DATA_DIR, 'adult/adult.test');
const HAVE_ADULT = existsSync(ADULT_TEST) && existsSync(join(DATA_DIR, 'adult/adult.data'));

interface NodeSide {
  readonly model: WideDeepModel;
  readonly spec: FittedSpec;
  readonly dir: string;
}

/** App-store rows as the synthetic bundle reads them, with unseen values, a missing column and an unread key. */
function syntheticRows(n: number): Record<string, unknown>[] {
  const rng = new Rng(11);
  return Array.from({ length: n }, (_, i) => ({
    user_id: `user_${rng.int(400)}`,
    app_id: `app_${rng.int(250)}`,
    app_category: `cat_${rng.int(9)}`,
    ...(i % 7 === 3 ? {} : { country: i % 11 === 5 ? null : `c_${rng.int(6)}` }),
    installed_apps: Array.from({ length: rng.int(4) }, () => `app_${rng.int(250)}`),
    age: 16 + rng.int(60) + (i % 3) * 0.25,
    ...(i === 0 ? { extra: 1 } : {}),
  }));
}

function adultRows(n: number): Record<string, unknown>[] {
  const rng = new Rng(12);
  return Array.from({ length: n }, () => {
    const { income_bracket: _label, ...row } = adultLikeRow(rng);
    return row;
  });
}

/** The first `n` rows of the real adult.test, as JSON rows ('?' is missing). */
function realAdultRows(n: number): Record<string, unknown>[] {
  const lines = readFileSync(ADULT_TEST, 'utf8').split('\n').slice(1, n + 1);
  return lines.map((line) => {
    const fields = line.split(', ');
    const row: Record<string, unknown> = {};
    ADULT_COLUMNS.forEach((name, j) => {
      const v = fields[j] as string;
      row[name] = v === '?' ? null : /^-?\d+$/.test(v) ? Number(v) : v;
    });
    return row;
  });
}

/**
 * The app store as a multi-class problem with a GRU: the app's category predicted from the user, the app, the
 * installed apps as a bag (wide and deep) and as a sequence read by a GRU.
 */
function gruMulticlassConfig(): Record<string, unknown> {
  const raw = smallConfig({ epochs: 1, rows: 1000 }) as { features: { columns: { name: string }[] }; model: Record<string, unknown> };
  const columns = raw.features.columns.filter((c) => c.name !== 'app_category' && c.name !== 'country_x_category');
  columns.push({ type: 'sequence', name: 'recent', source: 'installed_apps', length: 4, embeddingDim: 4 } as { name: string });
  return { ...raw, features: { columns, label: { kind: 'multiclass', column: 'app_category' } }, model: { ...raw.model, deep: { type: 'gru', sequence: 'recent', hidden: 8 } } };
}

/** `got` has `want`'s shape and values: numbers to `tol`, everything else equal. */
function expectClose(got: unknown, want: unknown, tol: number, path = '$'): void {
  if (typeof want === 'number') {
    expect(typeof got, path).toBe('number');
    expect(Math.abs((got as number) - want), path).toBeLessThanOrEqual(tol);
  } else if (Array.isArray(want)) {
    expect(Array.isArray(got) && got.length === want.length, path).toBe(true);
    want.forEach((w, i) => expectClose((got as unknown[])[i], w, tol, `${path}[${i}]`));
  } else if (want !== null && typeof want === 'object') {
    expect(Object.keys(got as object).sort(), path).toEqual(Object.keys(want).sort());
    for (const [k, w] of Object.entries(want)) expectClose((got as Record<string, unknown>)[k], w, tol, `${path}.${k}`);
  } else expect(got, path).toEqual(want);
}

/** The wide terms of an explanation (binary) or of each class's (multi-class): computed in JavaScript, so exactly Node's. */
function wideTerms(e: unknown): unknown {
  const x = e as { top?: unknown; wideLogit?: number; wideBias?: number; classes?: unknown[] };
  return x.classes !== undefined ? x.classes.map(wideTerms) : [x.top, x.wideLogit, x.wideBias];
}

async function trainAndSave(config: Record<string, unknown>, dir: string): Promise<NodeSide> {
  const outcome = await fitRun(parseRunConfig(config));
  await saveModel(outcome, dir);
  await outcome.model.release();
  const { model, bundle } = await loadBundle(dir);
  return { model, spec: bundle.spec, dir };
}

/** Error fields that must match between Node and the page (`file` names a path in one and a URL in the other). */
function errorFields(e: { code?: string; message: string; details?: object }): unknown {
  return { code: e.code, message: e.message, details: e.details };
}

/** The browser build, made once for the whole file. */
let built: string | undefined;
const webDir = (): string => (built ??= buildWeb());

describe('the browser build', () => {
  it('writes what the package\'s ./web export names, with no import of Node or its native packages', () => {
    const out = webDir();
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8')) as { exports: Record<string, Record<string, string> | string> };
    const entry = pkg.exports['./web'] as Record<string, string>;
    expect([entry.browser, entry.import]).toEqual(['./dist-web/widedeep-web.js', './dist-web/widedeep-web.js']);
    for (const f of ['widedeep-web.js', 'ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm']) expect(existsSync(join(out, f)), f).toBe(true);
    const js = readFileSync(join(out, 'widedeep-web.js'), 'utf8');
    expect(js.match(/(from|import\()\s*["'](node:[^"']+|onnxruntime-node|@duckdb[^"']*)["']/g)).toBeNull();
    // zod is imported as a namespace, so its locales (300 kB) stay out.
    expect(js).not.toMatch(/Zbyt|Demasiado/);
  });
});

describe.skipIf(!HAVE_CHROMIUM)('widedeep/web in headless Chromium', () => {
  const bundles = mkdtempSync(join(tmpdir(), 'wd-web-bundles-'));
  const problems: string[] = [];
  let synthetic: NodeSide;
  let adult: NodeSide;
  let gru: NodeSide;
  let big: NodeSide;
  let server: StaticServer;
  let browser: Browser;
  let page: Page;
  let web: string;
  const url = (name: string): string => `${server.url}/b/${name}`;

  beforeAll(async () => {
    web = webDir();
    synthetic = await trainAndSave(smallConfig({ epochs: 1, rows: 1200 }), join(bundles, 'synthetic'));
    adult = await trainAndSave(adultLikeConfig(mkdtempSync(join(tmpdir(), 'wd-adult-like-')), 1000), join(bundles, 'adult-like'));
    gru = await trainAndSave(gruMulticlassConfig(), join(bundles, 'gru-multiclass'));
    // A deep part over 32k multiply-adds per example, which runs on every core (autoThreads) where it may.
    const wideMlp = smallConfig({ epochs: 1, rows: 600 }) as { model: Record<string, unknown> };
    big = await trainAndSave({ ...wideMlp, model: { ...wideMlp.model, deep: { type: 'mlp', hidden: [256, 128] } } }, join(bundles, 'big'));
    server = await serveStatic(web, bundles);
    browser = await launchChromium();
    page = await openPage(browser, server, problems);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await synthetic?.model.release();
    await adult?.model.release();
    await gru?.model.release();
    await big?.model.release();
  });

  it.each([
    ['synthetic', () => synthetic, () => syntheticRows(100), 'binary'],
    ['adult-like', () => adult, () => adultRows(100), 'binary'],
    ['gru-multiclass', () => gru, () => syntheticRows(100), 'multiclass'],
  ] as const)('loads the %s bundle through its current pointer and predicts as Node predictRows does, to 1e-6', async (name, side, rows, objective) => {
    const meta = await inPage<Record<string, unknown>>(page, 'load', url(name));
    const m = (await readBundle(side().dir)).manifest;
    const version = (await currentDir(side().dir)).split('/').pop();
    expect(meta.value).toMatchObject({ version, source: `${url(name)}/${version}`, digest: m.formatVersion === 2 ? m.digest : null, inputs: inputColumns(side().spec), objective, threads: 1 });
    const r = rows();
    const got = await inPage<{ predictions: (number | number[])[]; ignoredColumns?: string[] }>(page, 'predict', url(name), r);
    expect(got.error).toBeUndefined();
    expect(got.value?.predictions).toHaveLength(r.length);
    expectClose(got.value, await predictRows(side().model, side().spec, r), 1e-6);
  });

  it.each([
    ['synthetic', () => synthetic, () => syntheticRows(40)],
    ['adult-like', () => adult, () => adultRows(40)],
    ['gru-multiclass', () => gru, () => syntheticRows(40)],
  ] as const)('explains %s rows as Node does: the same wide terms, the logits to 1e-6, identical to onnxruntime-web in Node', async (name, side, rows) => {
    await inPage(page, 'load', url(name));
    const r = rows();
    const got = (await inPage<{ explanations: unknown[] }>(page, 'explain', url(name), r, 3)).value as { explanations: unknown[] };
    const native = await predictRows(side().model, side().spec, r, { explain: true, topK: 3 });
    expect(got.explanations).toHaveLength(r.length);
    expectClose(got, JSON.parse(JSON.stringify(native)), 1e-6);
    expect(got.explanations.map(wideTerms)).toEqual(native.explanations.map(wideTerms));
    expect(JSON.stringify(got)).toMatch(/"top":\[(\{[^\]]*\},){2}\{/); // some row has 3 fired terms
    // The same wasm kernels in Node (onnxruntime-web there too) give the very same explanations.
    const { model } = await loadBundle(side().dir, { executor: webExecutor });
    try {
      expect(got).toEqual(JSON.parse(JSON.stringify(await predictRows(model, side().spec, r, { explain: true, topK: 3 }))));
    } finally {
      await model.release();
    }
  });

  it('refuses bad rows with the error Node gives: code, row, field, message and fix', async () => {
    await inPage(page, 'load', url('synthetic'));
    const good = syntheticRows(2);
    const cases: unknown[][] = [
      [good[0], { ...good[1], age: 'forty' }], // a string where a number goes
      [{ ...good[0], age: 1e300 }], // finite in JSON, not once standardized and stored as float32
      [good[0], good[1], 7], // not an object
      [{ ...good[0], installed_apps: { a: 1 } }], // a value of no usable type
    ];
    for (const rows of cases) {
      const node = await errorOfAsync(() => predictRows(synthetic.model, synthetic.spec, rows));
      const got = await inPage(page, 'predict', url('synthetic'), rows);
      expect(got.error?.isWideDeepError).toBe(true);
      expect(errorFields(got.error as NonNullable<PageResult<unknown>['error']>)).toEqual(errorFields(node));
      expect(node.code).toBe('DATA');
    }
    // One row not in a list: refused by the page's API before the transform (Node's callers parse a list).
    const single = (await inPage(page, 'predict', url('synthetic'), good[0])).error;
    expect([single?.code, single?.details?.field, single?.isWideDeepError]).toEqual(['DATA', 'rows', true]);
  });

  it('refuses a bundle whose weights were tampered with: the sha256, and the digest when the sha256 was updated too', async () => {
    for (const [name, fixSha] of [['tampered', false], ['tampered-digest', true]] as const) {
      const dir = join(bundles, name);
      cpSync(synthetic.dir, dir, { recursive: true });
      const version = await currentDir(dir);
      const weights = readFileSync(join(version, 'weights.bin'));
      weights[8] = (weights[8] as number) ^ 0x40; // one bit of one float: still finite, still the right size
      writeFileSync(join(version, 'weights.bin'), weights);
      if (fixSha) {
        const manifest = JSON.parse(readFileSync(join(version, 'manifest.json'), 'utf8')) as { weights: { sha256: string } };
        const { createHash } = await import('node:crypto');
        manifest.weights.sha256 = createHash('sha256').update(weights).digest('hex');
        writeFileSync(join(version, 'manifest.json'), JSON.stringify(manifest));
      }
      const node = await errorOfAsync(() => readBundle(dir));
      const got = (await inPage(page, 'load', url(name))).error;
      expect(got?.code).toBe('BUNDLE');
      expect(got?.details?.field).toBe(fixSha ? 'manifest.digest' : 'weights.bin');
      expect([got?.details?.field, got?.details?.fix]).toEqual([node.details.field, node.details.fix]);
      expect((got?.message ?? '').endsWith(node.message.slice(node.message.indexOf(': ') + 2))).toBe(true);
    }
  });

  it('reads a format-1 bundle (no digest) and a dangling pointer fails as in Node', async () => {
    cpSync(join(FIXTURE, 'model'), join(bundles, 'v1'), { recursive: true });
    const meta = await inPage<{ digest: null }>(page, 'load', url('v1'));
    expect(meta.value?.digest).toBeNull();
    const { rows, prediction } = expected();
    const got = (await inPage<{ predictions: number[] }>(page, 'predict', url('v1'), rows)).value?.predictions ?? [];
    expect(got).toHaveLength(prediction.length);
    got.forEach((p, i) => expect(Math.abs(p - (prediction[i] as number))).toBeLessThanOrEqual(1e-6));

    cpSync(synthetic.dir, join(bundles, 'partial'), { recursive: true });
    writeFileSync(join(bundles, 'partial', 'current'), 'v-99\n');
    const node = await errorOfAsync(() => readBundle(join(bundles, 'partial')));
    const err = (await inPage(page, 'load', url('partial'))).error;
    expect([err?.code, err?.details?.fix]).toEqual([node.code, node.details.fix]);
    expect(err?.message).toContain('current names v-99, which is missing');
  });

  it('runs a large deep part on the page\'s cores in a cross-origin isolated page, with the same predictions', async () => {
    const isolated = await serveStatic(web, bundles, { isolated: true });
    const iso = await openPage(browser, isolated, problems);
    try {
      expect((await inPage<boolean>(iso, 'isolated')).value).toBe(true);
      const cores = (await inPage<number>(iso, 'cores')).value as number;
      const meta = await inPage<{ threads: number }>(iso, 'load', `${isolated.url}/b/big`);
      expect(meta.value?.threads).toBe(Math.min(4, cores));
      const r = syntheticRows(50);
      const got = (await inPage<unknown>(iso, 'predict', `${isolated.url}/b/big`, r)).value;
      expectClose(got, await predictRows(big.model, big.spec, r), 1e-6);
      // Without isolation (no SharedArrayBuffer): one thread, even when more are asked for.
      expect((await inPage<{ threads: number }>(page, 'load', url('big'))).value?.threads).toBe(1);
      expect((await inPage<{ threads: number }>(page, 'load', url('adult-like'), { threads: 2 })).value?.threads).toBe(1);
    } finally {
      await iso.close();
      await isolated.close();
    }
  });

  it.skipIf(!HAVE_ADULT)(`scores the real adult.test rows as Node does${HAVE_ADULT ? '' : ` (skipped: ${ADULT_TEST} not found)`}`, async () => {
    const rows = realAdultRows(200);
    const got = (await inPage<{ predictions: number[] }>(page, 'predict', url('adult-like'), rows)).value?.predictions ?? [];
    const node = await predictRows(adult.model, adult.spec, rows);
    expect(got).toHaveLength(200);
    got.forEach((p, i) => expect(Math.abs(p - (node.predictions[i] as number))).toBeLessThanOrEqual(1e-6));
  });

  it('logged no console errors or warnings but the 404s of the probes above', () => {
    // A bundle without a pointer (v1) answers 404 for `current`, a dangling pointer 404 for its manifest.
    const expected404 = [/\/b\/v1\/current$/, /\/b\/partial\/v-99\/manifest\.json$/];
    expect(problems.filter((p) => !(p.includes('404') && expected404.some((re) => re.test(p))))).toEqual([]);
  });
});
