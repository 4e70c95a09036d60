import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadBundle, readBundle, saveBundle } from '../../src/artifact/bundle.js';
import { canonicalJson } from '../../src/artifact/manifest.js';
import { WideDeepError } from '../../src/core/errors.js';
import { type BundleFiles, FIXTURE, currentFormatFiles, editManifest, expected, filesOf, predictionsOf, writeFiles } from '../helpers/bundle-fixture.js';
import { runCli } from '../helpers/cli.js';

type Json = Record<string, any>;

const V1 = filesOf(join(FIXTURE, 'model'));
let V2: BundleFiles;

beforeAll(async () => {
  V2 = await currentFormatFiles();
});

function bundleDir(f: BundleFiles): string {
  const dir = mkdtempSync(join(tmpdir(), 'wd-check-'));
  writeFiles(dir, f);
  return dir;
}

/** loadBundle's BUNDLE error (and readBundle's, the same one, as `inspect` reports it). */
async function refusal(dir: string): Promise<WideDeepError> {
  const err = await loadBundle(dir).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WideDeepError);
  expect((err as WideDeepError).code).toBe('BUNDLE');
  await expect(readBundle(dir, { loadable: true })).rejects.toThrow((err as Error).message);
  return err as WideDeepError;
}

function float32(values: readonly number[]): Buffer {
  return Buffer.from(new Float32Array(values).buffer);
}

describe('bundle format 1 (written before the digest)', () => {
  it('loads the fixture written by the previous writer and predicts what it predicted', async () => {
    const { rows, prediction } = expected();
    const { model, bundle } = await loadBundle(join(FIXTURE, 'model'));
    expect(bundle.manifest.formatVersion).toBe(1);
    expect(Array.from(await predictionsOf(model, bundle.spec, rows))).toEqual(prediction);
    await model.release();
  });

  it('reads the fixture checkpoint (full state) for a resume and loads it', async () => {
    const ck = await readBundle(join(FIXTURE, 'checkpoint'));
    expect(ck.state.kind).toBe('full');
    const { model, bundle } = await loadBundle(join(FIXTURE, 'checkpoint'));
    const { rows, prediction } = expected();
    expect(Array.from(await predictionsOf(model, bundle.spec, rows))).toEqual(prediction);
    await model.release();
  });

  it('refuses a format 1 manifest that carries a digest, and a format 2 one without', async () => {
    expect((await refusal(bundleDir(editManifest(V1, (m) => (m.digest = `sha256:${'0'.repeat(64)}`))))).message).toMatch(/digest/);
    expect((await refusal(bundleDir(editManifest(V2, (m) => delete m.digest)))).message).toMatch(/manifest\.digest/);
  });
});

describe('the bundle digest', () => {
  it('is sha256 over the RFC 8785 canonical manifest without its digest, then weights.bin (docs/BUNDLE.md)', () => {
    const m = JSON.parse(V2.manifest.toString('utf8')) as Json;
    expect(m.formatVersion).toBe(2);
    const { digest, ...rest } = m;
    const text = canonicalJson(rest);
    expect(text).not.toMatch(/\n|": /);
    expect(digest).toBe(`sha256:${createHash('sha256').update(Buffer.concat([Buffer.from(text, 'utf8'), V2.weights])).digest('hex')}`);
  });

  it('canonical JSON: members sorted by UTF-16 code units, ECMAScript numbers, no whitespace (RFC 8785 examples)', () => {
    // RFC 8785 section 3.2.3's sorting example, and numbers of its appendix B.
    const keys = { '\u20ac': 'Euro Sign', '\r': 'Carriage Return', '\ufb33': 'Hebrew Letter Dalet With Dagesh', '1': 'One', '\ud83d\ude00': 'Emoji: Grinning Face', '\u0080': 'Control', '\u00f6': 'Latin Small Letter O With Diaeresis' };
    expect(Object.values(JSON.parse(canonicalJson(keys)) as Record<string, string>)).toEqual(['One', 'Carriage Return', 'Control', 'Latin Small Letter O With Diaeresis', 'Euro Sign', 'Emoji: Grinning Face', 'Hebrew Letter Dalet With Dagesh']);
    expect(canonicalJson({ b: [1e21, 1e-7, -0, 333333333.3333333, 1.5], a: { d: null, c: true } })).toBe('{"a":{"c":true,"d":null},"b":[1e+21,1e-7,0,333333333.3333333,1.5]}');
  });

  it('refuses a manifest nested too deeply to canonicalize, instead of overflowing the stack', async () => {
    const deep = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
    const text = V2.manifest.toString('utf8').replace('"config": {', `"config": {"deep": ${deep},`);
    expect((await refusal(bundleDir({ ...V2, manifest: Buffer.from(text) }))).message).toMatch(/manifest\.json nests arrays and objects deeper than 100 levels/);
  });

  it('refuses an edited manifest, whatever field changed', async () => {
    const edited = editManifest(V2, (m) => ((m as Json).spec.columns[4].normalize.mean = 40));
    expect((await refusal(bundleDir(edited))).message).toMatch(/manifest\.json does not match the bundle digest.*fix:/);
  });
});

describe('the tensor table against the model the spec describes', () => {
  // Format 1 has no digest: the manifest is trusted as far as these checks go. In format 2 the digest
  // refuses any edit first; with the digest made consistent again (`resign`) the same checks stand behind it.
  const formats = (): [string, BundleFiles][] => [
    ['format 1', V1],
    ['format 2, digest recomputed', V2],
  ];

  it('refuses a tensor offset moved by one byte (it used to load and predict 0 everywhere)', async () => {
    for (const [, f] of formats()) {
      const err = await refusal(bundleDir(editManifest(f, (m) => ((m as Json).tensors[1].offset += 1), { resign: true })));
      expect(err.message).toMatch(/tensor emb\.app_category starts at byte 85 of weights\.bin, which is not a multiple of 4/);
    }
  });

  it('refuses NaN and infinite weights, naming the tensor and the index', async () => {
    for (const [, f] of formats()) {
      const weights = Buffer.from(f.weights);
      float32([Number.NaN]).copy(weights, 244 + 4 * 5); // dense.deep.0.weight[5]
      const nan = await refusal(bundleDir(editManifest(f, () => undefined, { resign: true, weights })));
      expect(nan.message).toMatch(/tensor dense\.deep\.0\.weight holds NaN at index 5/);
      float32([Number.NEGATIVE_INFINITY]).copy(weights, 4 * 20); // wide[20], the bias
      const inf = await refusal(bundleDir(editManifest(f, () => undefined, { resign: true, weights })));
      expect(inf.message).toMatch(/tensor wide holds -Infinity at index 20/);
    }
  });

  it('refuses numBuckets 50,000,000 at once, before anything of that size is allocated', async () => {
    for (const [, f] of formats()) {
      const dir = bundleDir(editManifest(f, (m) => ((m as Json).spec.columns[3].encoding.numBuckets = 50_000_000), { resign: true }));
      const t0 = performance.now();
      const rss = process.memoryUsage().rss;
      const err = await refusal(dir);
      expect(performance.now() - t0).toBeLessThan(2000);
      expect(process.memoryUsage().rss - rss).toBeLessThan(100e6);
      expect(err.message).toMatch(/the model the manifest describes \(its spec and model config, weights state\) has 50000094 floats, weights\.bin holds 404 bytes/);
    }
  });

  it('refuses a weights.bin longer than the manifest says, as longer, not truncated', async () => {
    for (const [, f] of formats()) {
      const longer = bundleDir({ manifest: f.manifest, weights: Buffer.concat([f.weights, Buffer.alloc(8)]) });
      expect((await refusal(longer)).message).toMatch(/weights\.bin has 412 bytes, longer than the manifest says \(404\)/);
      const shorter = bundleDir({ manifest: f.manifest, weights: f.weights.subarray(0, 396) });
      expect((await refusal(shorter)).message).toMatch(/weights\.bin has 396 bytes, the manifest says 404: the file is truncated/);
    }
  });

  it('refuses unknown, repeated, missing, resized and overlapping tensors, naming them', async () => {
    const cases: [(m: Json) => void, RegExp][] = [
      [(m) => (m.tensors[1].name = 'emb.nope'), /tensor emb\.nope is not part of the model the manifest describes/],
      [(m) => (m.tensors[5].name = 'dense.deep.0.bias'), /tensor dense\.deep\.0\.bias is listed twice/],
      // Dense tensors left out used to keep their random initial values.
      [(m) => m.tensors.splice(4, 1), /the manifest lists no tensor dense\.deep\.0\.bias, which the model needs/],
      [(m) => (m.tensors[2].length = 31), /tensor emb\.country has 31 floats, the model the spec describes needs 32/],
      // Two tensors of 3 floats on the same bytes: the table still adds up, the weights do not.
      [(m) => (m.tensors[5].offset = m.tensors[4].offset), /tensors dense\.deep\.0\.bias \(bytes 376 to 388\) and dense\.deep\.logit\.weight \(from byte 376\) overlap/],
      [(m) => (m.tensors[6].offset = 404), /tensor dense\.deep\.logit\.bias \(bytes 404 to 408\) runs past the end of weights\.bin \(404 bytes\)/],
      [(m) => (m.model.deep.hidden = [4]), /has 114 floats, weights\.bin holds 404 bytes/],
      [(m) => (m.state = 'full'), /full state\) has 263 floats \(364 with weight averages\), weights\.bin holds 404 bytes/],
      [(m) => (m.spec.label = { kind: 'multiclass', column: 'label', classes: ['a'], weight: null }), /a multiclass objective needs numClasses >= 2/],
      [(m) => (m.model.deep = { type: 'gru', sequence: 'app_category' }), /sequence feature app_category/],
    ];
    for (const [, f] of formats()) {
      for (const [edit, message] of cases) expect((await refusal(bundleDir(editManifest(f, edit as (m: Record<string, unknown>) => void, { resign: true })))).message).toMatch(message);
    }
  });

  it('refuses a GRU over a sequence longer than a bundle may have, before building it', async () => {
    const spec = structuredClone((await readBundle(join(FIXTURE, 'model'))).spec) as Json;
    spec.columns.push({ type: 'sequence', name: 'hist', source: 'hist', separator: null, length: 1_000_000, feeds: ['deep'], embeddingDim: 2, encoding: { kind: 'hash', numBuckets: 3 } });
    const edit = (m: Json): void => {
      m.spec = spec;
      m.model.deep = { type: 'gru', sequence: 'hist', hidden: 2 };
    };
    const t0 = performance.now();
    expect((await refusal(bundleDir(editManifest(V2, edit as (m: Record<string, unknown>) => void, { resign: true })))).message).toMatch(/the GRU reads sequence hist of 1000000 steps, more than the 1024/);
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});

describe('inspect checks what predict checks', () => {
  it('exits non-zero with the error predict gives on a bundle predict cannot load', async () => {
    const weights = Buffer.from(V2.weights);
    float32([Number.NaN]).copy(weights, 0);
    const dir = bundleDir(editManifest(V2, () => undefined, { resign: true, weights }));
    const [ins, pred] = await Promise.all([runCli(['inspect', '--model', dir]), runCli(['predict', '--model', dir, '--input', '-'], { input: '{}' })]);
    expect(pred.code).not.toBe(0);
    expect(pred.stderr).toMatch(/tensor wide holds NaN at index 0/);
    expect(ins.code).toBe(pred.code);
    expect(ins.stderr.replace('widedeep inspect: ', '')).toBe(pred.stderr.replace('widedeep predict: ', ''));
  }, 60_000);

  it('refuses a checkpoint with weight averages as loadBundle does, and reads it for a resume', async () => {
    const { model, bundle } = await loadBundle(join(FIXTURE, 'checkpoint'));
    model.startAveraging(0.9);
    const dir = join(mkdtempSync(join(tmpdir(), 'wd-ema-')), 'checkpoint');
    await saveBundle(dir, { config: bundle.manifest.config, model: bundle.model, spec: bundle.spec, seed: 1, state: model.exportState('full') });
    await model.release();
    expect((await readBundle(dir)).state.tensors.has('ema.wide')).toBe(true);
    expect((await refusal(dir)).message).toMatch(/tensor ema\.\S+ is a weight average of a checkpoint/);
  });
});
