import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBundle, readBundle } from '../../src/artifact/bundle.js';
import { WideDeepError } from '../../src/core/errors.js';
import { type BundleFiles, FIXTURE, currentFormatFiles, editManifest, expected, filesOf, predictionsOf, writeFiles } from '../helpers/bundle-fixture.js';

/**
 * The loader against damaged and edited bundles of the fixture model (weights.bin 404 bytes). Whatever is
 * done to the files, loading may only end in a WideDeepError with code BUNDLE (the same one from readBundle,
 * as `inspect` reports it, as from loadBundle) or in a model whose predictions equal the original's bit for
 * bit: never another error (TypeError, RangeError), a hang or a huge allocation, never other predictions.
 *
 * Edits that keep a bundle consistent ("resigned": sha256 and digest recomputed, as a tool that means it
 * would) are one structural field each, which the tensor checks must catch. Several at once can make another
 * valid model (two same-sized tensors swapped), and so can a format 1 manifest's semantic fields (a
 * standardization mean): only the digest tells those apart, and format 1 has none.
 */

type Json = Record<string, unknown>;
type Path = readonly (string | number)[];

const { rows: ROWS, prediction: ORIGINAL } = expected();
const V1 = filesOf(join(FIXTURE, 'model'));
let V2: BundleFiles;
let dir: string;
const startRss = process.memoryUsage().rss;
const tally = { refused: 0, same: 0 };

beforeAll(async () => {
  V2 = await currentFormatFiles();
  dir = mkdtempSync(join(tmpdir(), 'wd-fuzz-'));
});

afterAll(() => {
  // Not vacuous: both outcomes happen.
  expect(tally.refused).toBeGreaterThan(100);
  expect(tally.same).toBeGreaterThan(5);
});

/** Loads the files as predict and inspect would; fails the property on anything but a refusal or the same predictions. */
async function judge(f: BundleFiles): Promise<'refused' | 'same'> {
  writeFiles(dir, f);
  const t0 = performance.now();
  const readErr = await readBundle(dir, { loadable: true }).then(
    () => null,
    (e: unknown) => e,
  );
  let loaded: Awaited<ReturnType<typeof loadBundle>>;
  try {
    loaded = await loadBundle(dir);
  } catch (err) {
    if (!(err instanceof WideDeepError) || err.code !== 'BUNDLE') throw err;
    expect(err.message).toMatch(/\(fix: .+\)$/);
    expect(readErr instanceof Error ? readErr.message : readErr).toBe(err.message);
    expect(performance.now() - t0).toBeLessThan(5000);
    tally.refused++;
    return 'refused';
  }
  try {
    expect(readErr).toBeNull();
    expect(Array.from(await predictionsOf(loaded.model, loaded.bundle.spec, ROWS))).toEqual(ORIGINAL);
  } finally {
    await loaded.model.release();
  }
  expect(performance.now() - t0).toBeLessThan(5000);
  expect(process.memoryUsage().rss - startRss).toBeLessThan(1.5e9);
  tally.same++;
  return 'same';
}

// ---- byte-level damage ----

const flips = (length: number) => fc.array(fc.record({ at: fc.nat({ max: length - 1 }), mask: fc.integer({ min: 1, max: 255 }) }), { minLength: 1, maxLength: 4 });

function flipped(b: Buffer, fs: readonly { at: number; mask: number }[]): Buffer {
  const c = Buffer.from(b);
  for (const f of fs) c[f.at] = (c[f.at] as number) ^ f.mask;
  return c;
}

// ---- field edits ----

interface FieldEdit {
  readonly path: Path;
  readonly op: 'set' | 'add' | 'delete' | 'push' | 'pop' | 'duplicate';
  readonly value?: unknown;
}

const NAMES = ['wide', 'emb.app_category', 'emb.country', 'dense.deep.0.weight', 'dense.deep.0.bias', 'dense.deep.logit.weight', 'dense.deep.logit.bias'];
const odd = fc.constantFrom<unknown>(0, -1, 1, 2, 3, 4, 7, 8, 101, 404, 1023, 50_000_000, 2 ** 31, 2 ** 32, 2 ** 53, 1e300, 0.5, -0.5, null, 'x', true, [], {});
const numeric = (path: Path): fc.Arbitrary<FieldEdit> =>
  fc.oneof(
    fc.integer({ min: -8, max: 8 }).map((d): FieldEdit => ({ path, op: 'add', value: d })),
    odd.map((value): FieldEdit => ({ path, op: 'set', value })),
  );
const choice = (path: Path, values: readonly unknown[]): fc.Arbitrary<FieldEdit> => fc.constantFrom(...values).map((value): FieldEdit => ({ path, op: 'set', value }));
const tensorIndex = fc.nat({ max: NAMES.length - 1 });

/** One edit of a field the tensor layout depends on (or of one it does not, which must then change nothing). */
const fieldEdit: fc.Arbitrary<FieldEdit> = fc.oneof(
  tensorIndex.chain((i) => fc.oneof(numeric(['tensors', i, 'offset']), numeric(['tensors', i, 'length']))),
  tensorIndex.chain((i) => choice(['tensors', i, 'name'], [...NAMES, 'emb.nope', 'ema.wide', 'dense.deep.0.weight__m', 'wide.0', ''])),
  tensorIndex.chain((i) => fc.constantFrom<FieldEdit>({ path: ['tensors', i], op: 'delete' }, { path: ['tensors', i], op: 'duplicate' })),
  numeric(['weights', 'bytes']),
  numeric(['formatVersion']),
  numeric(['steps']),
  numeric(['seed']),
  numeric(['dropoutRng', 0]),
  numeric(['spec', 'columns', 3, 'encoding', 'numBuckets']),
  numeric(['spec', 'columns', 0, 'embeddingDim']),
  numeric(['spec', 'columns', 1, 'embeddingDim']),
  numeric(['model', 'deep', 'hidden', 0]),
  fc.constantFrom<FieldEdit>(
    { path: ['spec', 'columns', 0, 'encoding', 'values'], op: 'push', value: 'zzz' },
    { path: ['spec', 'columns', 1, 'encoding', 'values'], op: 'pop' },
    { path: ['spec', 'columns', 2, 'boundaries'], op: 'push', value: 99 },
    { path: ['spec', 'columns', 2, 'boundaries'], op: 'pop' },
    { path: ['spec', 'columns'], op: 'pop' },
    { path: ['model', 'deep', 'hidden'], op: 'push', value: 2 },
  ),
  choice(['state'], ['full', 'weights', 'partial']),
  choice(['model', 'kind'], ['wide', 'deep', 'wide_deep', 'both']),
  choice(['model', 'deep', 'batchNorm'], [true, false]),
  fc.nat({ max: 4 }).chain((j) => choice(['spec', 'columns', j, 'feeds'], [['wide'], ['deep'], [], ['wide', 'deep']])),
  choice(['spec', 'label'], [
    { kind: 'multiclass', column: 'label', classes: ['a'], weight: null },
    { kind: 'multiclass', column: 'label', classes: ['a', 'b'], weight: null },
    null,
  ]),
  fc.constantFrom('format', 'formatVersion', 'spec', 'model', 'sizes', 'state', 'tensors', 'weights', 'digest', 'metrics', 'config', 'dropoutRng').map((k): FieldEdit => ({ path: [k], op: 'delete' })),
);

function applyEdit(m: Json, e: FieldEdit): void {
  let at: unknown = m;
  for (const k of e.path.slice(0, -1)) at = at !== null && typeof at === 'object' ? (at as Record<string | number, unknown>)[k] : undefined;
  if (at === null || typeof at !== 'object') return;
  const o = at as Record<string | number, unknown>;
  const key = e.path[e.path.length - 1] as string | number;
  const cur = o[key];
  if (e.op === 'set') o[key] = e.value;
  else if (e.op === 'add') o[key] = typeof cur === 'number' ? cur + (e.value as number) : cur;
  else if (e.op === 'delete') Array.isArray(o) ? o.splice(key as number, 1) : delete o[key];
  else if (e.op === 'duplicate' && Array.isArray(o)) o.push(structuredClone(o[key as number]));
  else if (e.op === 'push' && Array.isArray(cur)) cur.push(e.value);
  else if (e.op === 'pop' && Array.isArray(cur)) cur.pop();
}

const edited = (f: BundleFiles, edits: readonly FieldEdit[], resign: boolean): BundleFiles => editManifest(f, (m) => edits.forEach((e) => applyEdit(m, e)), { resign });

const RUNS = { interruptAfterTimeLimit: 20_000 };

describe('bundle loader fuzz', () => {
  it('truncation of either file', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('v1', 'v2'), fc.boolean(), fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), async (v, manifest, at) => {
        const f = v === 'v1' ? V1 : V2;
        const cut = (b: Buffer): Buffer => b.subarray(0, Math.floor(at * b.length));
        // A manifest cut after its last brace (its final newline) is still the whole manifest.
        if (manifest) await judge({ ...f, manifest: cut(f.manifest) });
        else expect(await judge({ ...f, weights: cut(f.weights) })).toBe('refused');
      }),
      { numRuns: 60, ...RUNS },
    );
  }, 60_000);

  it('byte flips in weights.bin and manifest.json', async () => {
    await fc.assert(
      fc.asyncProperty(fc.boolean(), flips(4096), async (manifest, fs) => {
        // Format 2 only: a flip in a format 1 manifest can turn a value into another valid one (no digest).
        const f = V2;
        const damaged = manifest ? { ...f, manifest: flipped(f.manifest, fs.map((x) => ({ ...x, at: x.at % f.manifest.length }))) } : { ...f, weights: flipped(f.weights, fs.map((x) => ({ ...x, at: x.at % f.weights.length }))) };
        await judge(damaged);
      }),
      { numRuns: 200, ...RUNS },
    );
  }, 60_000);

  it('field edits of a format 2 manifest: the digest refuses them', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fieldEdit, { minLength: 1, maxLength: 3 }), async (edits) => {
        await judge(edited(V2, edits, false));
      }),
      { numRuns: 100, ...RUNS },
    );
  }, 60_000);

  it('one field edit with the digest recomputed (format 2), or in a format 1 manifest: the tensor checks refuse it', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('v1', 'v2'), fieldEdit, async (v, edit) => {
        await judge(edited(v === 'v1' ? V1 : V2, [edit], true));
      }),
      { numRuns: 350, ...RUNS },
    );
  }, 90_000);

  it('non-finite weights with sha256 and digest recomputed', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('v1', 'v2'),
        fc.array(fc.record({ index: fc.nat({ max: 100 }), value: fc.constantFrom(Number.NaN, Infinity, -Infinity) }), { minLength: 1, maxLength: 3 }),
        async (v, bad) => {
          const f = v === 'v1' ? V1 : V2;
          const weights = Buffer.from(f.weights);
          for (const b of bad) weights.writeFloatLE(b.value, 4 * b.index);
          expect(await judge(editManifest(f, () => undefined, { resign: true, weights }))).toBe('refused');
        },
      ),
      { numRuns: 40, ...RUNS },
    );
  }, 60_000);
});
