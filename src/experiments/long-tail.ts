import { Rng } from '../core/rng.js';
import { WideDeepError } from '../core/errors.js';
import { chunkFromColumns, createSyntheticWorld, getColumn, stringColumn, takeRows, trueLogit, type RowChunk, type SyntheticWorld } from '../data/index.js';
import type { FittedSpec } from '../features/fitted-spec.js';
import { auc } from '../metrics/index.js';
import type { WideDeepModel } from '../model/wide-deep.js';
import type { RunConfig } from '../train/run-config.js';
import { scoreRows, type Scored } from './curves.js';
import type { LongTailConfig } from './suite.js';

/**
 * What a model trained on the synthetic app-store log recovered of the planted truth, and how its
 * recommendations cover the long tail of rare apps.
 *
 * On the test rows:
 * - `pairAuc` / `noPairAuc`: AUC on rows where a planted (installed app, impressed app) pair is active / not;
 * - `pairEffect`: the model's logit minus its logit with the pair's installed app removed from the row
 *   (a counterfactual), averaged over rows with an active pair; `pairEffectTrue` is the same for the true logit;
 * - `boostEffect`: mean(model logit - true logit) on rows with a planted country x category boost minus the same
 *   on the other rows, plus the true boost: the boost as the model sees it (`boostEffectTrue` = the truth);
 * - `trueLogitCorr`: Pearson correlation of model and true logits; `oracleAuc`: AUC of the true logit.
 *
 * On the catalogue (sampled users x every app they have not installed, phone, hour 12):
 * - `latentCorr`: mean over users of the correlation of model logits with the true latent dot product;
 * - top-k lists: `coverage` (distinct apps recommended / catalogue), `tailShare` (recommended apps outside the
 *   head that draws `headShare` of impressions), `novelty` (mean -log2 popularity of recommended apps),
 *   `meanTrueProb` (mean true install probability of recommended apps), `overlapWithTruth` (share of the
 *   true top-k recommended); `oracle` holds the same for lists ranked by the true logit.
 */
export interface ListStats {
  readonly coverage: number;
  readonly tailShare: number;
  readonly novelty: number;
  readonly meanTrueProb: number;
}

export interface LongTailResult extends ListStats {
  readonly pairAuc: number | null;
  readonly noPairAuc: number | null;
  readonly pairRows: number;
  readonly pairEffect: number | null;
  readonly pairEffectTrue: number | null;
  readonly boostEffect: number | null;
  readonly boostEffectTrue: number;
  readonly trueLogitCorr: number;
  readonly oracleAuc: number;
  readonly latentCorr: number;
  readonly overlapWithTruth: number;
  readonly users: number;
  readonly k: number;
  readonly headSize: number;
  readonly numApps: number;
  readonly oracle: ListStats;
}

const DEVICE_INDEX: Readonly<Record<string, number>> = { phone: 0, tablet: 1, tv: 2 };

function indexOf(id: string | null, prefix: string): number {
  if (id === null || !id.startsWith(prefix)) throw new WideDeepError('DATA', `unexpected synthetic id ${id}`, { field: prefix });
  return Number(id.slice(prefix.length));
}

function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i] as number;
    mb += b[i] as number;
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const x = (a[i] as number) - ma;
    const y = (b[i] as number) - mb;
    sab += x * y;
    saa += x * x;
    sbb += y * y;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : 0;
}

function subsetAuc(s: Scored, rows: readonly number[]): number | null {
  const p = Float32Array.from(rows, (i) => s.prediction[i] as number);
  const l = Float32Array.from(rows, (i) => s.labels[i] as number);
  const pos = l.reduce((acc, v) => acc + v, 0);
  return pos > 0 && pos < l.length ? auc(p, l) : null;
}

function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

/** Analyses a trained model on synthetic data (the config must use dataset: synthetic). */
export async function analyseLongTail(
  model: WideDeepModel,
  spec: FittedSpec,
  config: RunConfig,
  test: RowChunk,
  scored: Scored,
  options: LongTailConfig,
): Promise<LongTailResult> {
  if (config.data.dataset !== 'synthetic') {
    throw new WideDeepError('CONFIG', 'the long-tail analysis needs dataset: synthetic (it reads the planted truth)', { field: 'analysis.longTail' });
  }
  const world = createSyntheticWorld({ seed: config.seed, ...config.data.synthetic });
  const onTest = await testRowAnalysis(model, spec, world, test, scored);
  const catalogue = await catalogueAnalysis(model, spec, world, config.seed, options);
  return { ...onTest, ...catalogue };
}

async function testRowAnalysis(model: WideDeepModel, spec: FittedSpec, world: SyntheticWorld, test: RowChunk, scored: Scored) {
  const { truth } = world;
  const users = stringColumn(test, 'user_id');
  const apps = stringColumn(test, 'app_id');
  const devices = stringColumn(test, 'device');
  const installed = getColumn(test, 'installed_apps') as (readonly string[] | null)[];
  const n = test.numRows;
  const trueZ = new Float64Array(n);
  const pairRows: number[] = [];
  const noPairRows: number[] = [];
  const withoutPair: (readonly string[] | null)[] = [];
  let boostResid = 0;
  let boostN = 0;
  let otherResid = 0;
  let otherN = 0;
  for (let i = 0; i < n; i++) {
    const u = indexOf(users[i] ?? null, 'u');
    const a = indexOf(apps[i] ?? null, 'a');
    trueZ[i] = trueLogit(world, u, a, DEVICE_INDEX[devices[i] ?? 'phone'] ?? 0);
    const pairs = world.pairsByImpressed.get(a) ?? [];
    const inst = installed[i] ?? [];
    const active = pairs.filter(([b]) => inst.includes(truth.appIds[b] as string)).map(([b]) => truth.appIds[b] as string);
    if (active.length > 0) {
      pairRows.push(i);
      withoutPair.push(inst.filter((x) => !active.includes(x)));
    } else noPairRows.push(i);
    const resid = (scored.logit[i] as number) - (trueZ[i] as number);
    if ((world.boost[(world.countryOf[u] as number) * truth.config.numCategories + (world.categoryOf[a] as number)] as number) !== 0) {
      boostResid += resid;
      boostN++;
    } else {
      otherResid += resid;
      otherN++;
    }
  }
  let pairEffect: number | null = null;
  let pairEffectTrue: number | null = null;
  if (pairRows.length > 0) {
    const base = takeRows(test, pairRows);
    const columns = new Map(base.columns);
    columns.set('installed_apps', withoutPair);
    const cf = await scoreRows(model, spec, chunkFromColumns(columns, { source: 'counterfactual', rowNumbers: base.rowNumbers }));
    let m = 0;
    let t = 0;
    pairRows.forEach((i, j) => {
      m += (scored.logit[i] as number) - (cf.logit[j] as number);
      const a = indexOf(apps[i] ?? null, 'a');
      for (const [b, w] of world.pairsByImpressed.get(a) ?? []) if ((installed[i] ?? []).includes(truth.appIds[b] as string)) t += w;
    });
    pairEffect = m / pairRows.length;
    pairEffectTrue = t / pairRows.length;
  }
  const w = truth.config.countryCategoryWeight;
  return {
    pairAuc: subsetAuc(scored, pairRows),
    noPairAuc: subsetAuc(scored, noPairRows),
    pairRows: pairRows.length,
    pairEffect,
    pairEffectTrue,
    boostEffect: boostN > 0 && otherN > 0 ? w + boostResid / boostN - otherResid / otherN : null,
    boostEffectTrue: w,
    trueLogitCorr: pearson(scored.logit, trueZ),
    oracleAuc: auc(Float32Array.from(trueZ), scored.labels),
  };
}

/** Every (sampled user, app the user has not installed) pair as synthetic rows: phone, hour 12. */
function catalogueRows(world: SyntheticWorld, sampled: readonly number[]): { chunk: RowChunk; rowUser: Int32Array; rowApp: Int32Array } {
  const { truth } = world;
  const cols = { user_id: [] as string[], country: [] as string[], age: [] as number[], gender: [] as string[], installed_apps: [] as string[][], app_id: [] as string[], app_category: [] as string[] };
  const rowUser: number[] = [];
  const rowApp: number[] = [];
  for (const u of sampled) {
    const inst = world.installed[u] as Int32Array;
    const instIds = Array.from(inst, (a) => truth.appIds[a] as string);
    for (let a = 0; a < truth.appIds.length; a++) {
      if (inst.includes(a)) continue;
      cols.user_id.push(truth.userIds[u] as string);
      cols.country.push(truth.userCountry[u] as string);
      cols.age.push(world.userAge[u] as number);
      cols.gender.push(world.userGender[u] as string);
      cols.installed_apps.push(instIds);
      cols.app_id.push(truth.appIds[a] as string);
      cols.app_category.push(truth.appCategory[a] as string);
      rowUser.push(u);
      rowApp.push(a);
    }
  }
  const n = rowUser.length;
  const chunk = chunkFromColumns(
    {
      ...cols,
      age: Float64Array.from(cols.age),
      device: new Array<string>(n).fill('phone'),
      hour: new Float64Array(n).fill(12),
      timestamp: new Float64Array(n).fill(1_600_000_000),
      label: new Float64Array(n),
    },
    { source: 'long-tail catalogue' },
  );
  return { chunk, rowUser: Int32Array.from(rowUser), rowApp: Int32Array.from(rowApp) };
}

/** Coverage, tail share, novelty and true quality of top-k lists (lists[j] belongs to users[j]). */
function listStats(world: SyntheticWorld, lists: readonly number[][], users: readonly number[], headSize: number): ListStats {
  const popularity = (a: number) => (world.appCdf[a] as number) - (a > 0 ? (world.appCdf[a - 1] as number) : 0);
  const all = lists.flat();
  let tail = 0;
  let novelty = 0;
  let prob = 0;
  lists.forEach((list, j) => {
    for (const a of list) {
      if (a >= headSize) tail++;
      novelty += -Math.log2(popularity(a));
      prob += sigmoid(trueLogit(world, users[j] as number, a, 0));
    }
  });
  return { coverage: new Set(all).size / world.truth.appIds.length, tailShare: tail / all.length, novelty: novelty / all.length, meanTrueProb: prob / all.length };
}

async function catalogueAnalysis(model: WideDeepModel, spec: FittedSpec, world: SyntheticWorld, seed: number, options: LongTailConfig) {
  const { truth } = world;
  const numUsers = truth.userIds.length;
  const rng = new Rng(seed).fork('long-tail-users');
  const picked = new Set<number>();
  while (picked.size < Math.min(options.users, numUsers)) picked.add(rng.int(numUsers));
  const sampled = [...picked].sort((a, b) => a - b);
  const headSize = Math.max(1, world.appCdf.findIndex((c) => c >= options.headShare) + 1);
  const { chunk, rowUser, rowApp } = catalogueRows(world, sampled);
  const scored = await scoreRows(model, spec, chunk);
  const trueZ = Float64Array.from(rowUser, (u, i) => trueLogit(world, u, rowApp[i] as number, 0));
  const d = truth.config.latentDim;
  const latent = Float64Array.from(rowUser, (u, i) => {
    let s = 0;
    for (let j = 0; j < d; j++) s += (truth.userFactors[u * d + j] as number) * (truth.appFactors[(rowApp[i] as number) * d + j] as number);
    return s;
  });
  const modelLists: number[][] = [];
  const oracleLists: number[][] = [];
  let latentCorr = 0;
  let overlap = 0;
  for (let start = 0; start < rowUser.length; ) {
    let end = start;
    while (end < rowUser.length && rowUser[end] === rowUser[start]) end++;
    const idx = Array.from({ length: end - start }, (_, j) => start + j);
    const top = (score: ArrayLike<number>) => [...idx].sort((x, y) => (score[y] as number) - (score[x] as number) || x - y).slice(0, options.k);
    const m = top(scored.logit);
    const o = new Set(top(trueZ));
    modelLists.push(m.map((i) => rowApp[i] as number));
    oracleLists.push([...o].map((i) => rowApp[i] as number));
    latentCorr += pearson(scored.logit.subarray(start, end), latent.subarray(start, end));
    overlap += m.filter((i) => o.has(i)).length / options.k;
    start = end;
  }
  return {
    ...listStats(world, modelLists, sampled, headSize),
    latentCorr: latentCorr / sampled.length,
    overlapWithTruth: overlap / sampled.length,
    users: sampled.length,
    k: options.k,
    headSize,
    numApps: truth.appIds.length,
    oracle: listStats(world, oracleLists, sampled, headSize),
  };
}
