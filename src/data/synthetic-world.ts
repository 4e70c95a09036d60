import { z } from 'zod';
import { Rng } from '../core/rng.js';
import { checkOptions } from './data-errors.js';

/**
 * Settings of the synthetic Google-Play-like impression log. Every field has a default; `seed` fixes everything.
 */
export interface SyntheticConfig {
  readonly seed: number;
  readonly numUsers: number;
  readonly numApps: number;
  readonly numCategories: number;
  readonly numCountries: number;
  /** Size of the user and app latent vectors (generalization signal). */
  readonly latentDim: number;
  /** Mean number of installed apps per user. */
  readonly meanInstalled: number;
  /** Zipf exponent of app popularity (impressions and installs): a few hits, a long tail of rare apps. */
  readonly zipfExponent: number;
  /** Planted (installed app, impressed app) pairs with a logit boost (memorization signal). */
  readonly numPlantedPairs: number;
  readonly pairWeight: number;
  /** Planted (user country, app category) boosts. */
  readonly numCountryCategoryBoosts: number;
  readonly countryCategoryWeight: number;
  /** Scale of the latent dot product in the logit (its standard deviation is about this value). */
  readonly latentWeight: number;
  /** Intercept of the logit; sets the base install rate. */
  readonly bias: number;
}

export const DEFAULT_SYNTHETIC_CONFIG: SyntheticConfig = {
  seed: 1,
  numUsers: 20000,
  numApps: 5000,
  numCategories: 24,
  numCountries: 20,
  latentDim: 8,
  meanInstalled: 10,
  zipfExponent: 1.05,
  numPlantedPairs: 40,
  pairWeight: 2.5,
  numCountryCategoryBoosts: 12,
  countryCategoryWeight: 1.2,
  latentWeight: 1.0,
  bias: -2.6,
};

const configSchema = z.strictObject({
  seed: z.number().int().optional(),
  numUsers: z.number().int().min(1).optional(),
  numApps: z.number().int().min(10).optional(),
  numCategories: z.number().int().min(1).optional(),
  numCountries: z.number().int().min(1).optional(),
  latentDim: z.number().int().min(1).optional(),
  meanInstalled: z.number().min(1).optional(),
  zipfExponent: z.number().min(0).optional(),
  numPlantedPairs: z.number().int().min(0).optional(),
  pairWeight: z.number().optional(),
  numCountryCategoryBoosts: z.number().int().min(0).optional(),
  countryCategoryWeight: z.number().optional(),
  latentWeight: z.number().optional(),
  bias: z.number().optional(),
});

export const DEVICES = ['phone', 'tablet', 'tv'] as const;
const DEVICE_P = [0.8, 0.18, 0.02];
/** Small context effects on the logit, part of the truth. */
export const DEVICE_EFFECT: Readonly<Record<(typeof DEVICES)[number], number>> = { phone: 0, tablet: -0.3, tv: -0.8 };

export interface PlantedPair {
  readonly installedApp: string;
  readonly impressedApp: string;
  readonly weight: number;
}

export interface CountryCategoryBoost {
  readonly country: string;
  readonly category: string;
  readonly weight: number;
}

/** What generated the labels, for measuring what a model recovered. */
export interface SyntheticTruth {
  readonly config: SyntheticConfig;
  readonly bias: number;
  readonly plantedPairs: readonly PlantedPair[];
  readonly countryCategoryBoosts: readonly CountryCategoryBoost[];
  readonly deviceEffect: Readonly<Record<string, number>>;
  /** numUsers x latentDim, row-major; row u belongs to userIds[u]. */
  readonly userFactors: Float64Array;
  /** numApps x latentDim, row-major; row a belongs to appIds[a]. App index = popularity rank. */
  readonly appFactors: Float64Array;
  readonly userIds: readonly string[];
  readonly appIds: readonly string[];
  readonly appCategory: readonly string[];
  readonly userCountry: readonly string[];
}

/** The fixed population: users, apps, installs and the planted truth. */
export interface SyntheticWorld {
  readonly truth: SyntheticTruth;
  readonly userAge: Float64Array;
  readonly userGender: readonly string[];
  /** Sorted app indices installed by each user. */
  readonly installed: readonly Int32Array[];
  /** Cumulative app popularity (Zipf), for sampling. */
  readonly appCdf: Float64Array;
  /** impressed app index -> planted pairs [installed app index, weight] ending there. */
  readonly pairsByImpressed: ReadonlyMap<number, readonly (readonly [number, number])[]>;
  /** country index * numCategories + category index -> boost. */
  readonly boost: Float64Array;
  readonly countryOf: Int32Array;
  readonly categoryOf: Int32Array;
}

/** Builds the world from a (partial) config; same config, same world. */
export function createSyntheticWorld(partial: Partial<SyntheticConfig> = {}): SyntheticWorld {
  checkOptions(configSchema, partial, 'synthetic');
  const config: SyntheticConfig = { ...DEFAULT_SYNTHETIC_CONFIG, ...partial };
  const root = new Rng(config.seed);
  const rng = root.fork('world');
  const { numUsers, numApps, numCategories, numCountries, latentDim } = config;
  const appCdf = zipfCdf(numApps, config.zipfExponent);
  const countryCdf = zipfCdf(numCountries, 1);
  const sigma = Math.pow(latentDim, -0.25);
  const appIds = Array.from({ length: numApps }, (_, a) => `a${a}`);
  const categoryOf = Int32Array.from({ length: numApps }, () => rng.int(numCategories));
  const appFactors = Float64Array.from({ length: numApps * latentDim }, () => sigma * rng.normal());
  const userIds = Array.from({ length: numUsers }, (_, u) => `u${u}`);
  const countryOf = Int32Array.from({ length: numUsers }, () => sampleCdf(countryCdf, rng.uniform()));
  const userAge = Float64Array.from({ length: numUsers }, () => 16 + rng.int(55));
  const userGender = Array.from({ length: numUsers }, () => (['f', 'm', 'u'] as const)[sampleCdf(CUM_GENDER, rng.uniform())] as string);
  const userFactors = Float64Array.from({ length: numUsers * latentDim }, () => sigma * rng.normal());
  const installed = Array.from({ length: numUsers }, () => drawInstalls(rng, appCdf, config.meanInstalled));

  const pairs: PlantedPair[] = [];
  const pairsByImpressed = new Map<number, [number, number][]>();
  const seen = new Set<string>();
  const topInstalled = Math.min(30, numApps);
  const topImpressed = Math.min(200, numApps);
  for (let tries = 0; pairs.length < config.numPlantedPairs && tries < 100 * (config.numPlantedPairs + 1); tries++) {
    const b = rng.int(topInstalled);
    const a = rng.int(topImpressed);
    if (a === b || seen.has(`${b},${a}`)) continue;
    seen.add(`${b},${a}`);
    pairs.push({ installedApp: appIds[b] as string, impressedApp: appIds[a] as string, weight: config.pairWeight });
    const list = pairsByImpressed.get(a) ?? [];
    list.push([b, config.pairWeight]);
    pairsByImpressed.set(a, list);
  }
  const boost = new Float64Array(numCountries * numCategories);
  const boosts: CountryCategoryBoost[] = [];
  const topCountries = Math.min(8, numCountries);
  for (let tries = 0; boosts.length < config.numCountryCategoryBoosts && tries < 100 * (config.numCountryCategoryBoosts + 1); tries++) {
    const c = rng.int(topCountries);
    const k = rng.int(numCategories);
    if (boost[c * numCategories + k] !== 0) continue;
    boost[c * numCategories + k] = config.countryCategoryWeight;
    boosts.push({ country: countryName(c), category: categoryName(k), weight: config.countryCategoryWeight });
  }
  const truth: SyntheticTruth = {
    config,
    bias: config.bias,
    plantedPairs: pairs,
    countryCategoryBoosts: boosts,
    deviceEffect: DEVICE_EFFECT,
    userFactors,
    appFactors,
    userIds,
    appIds,
    appCategory: Array.from(categoryOf, categoryName),
    userCountry: Array.from(countryOf, countryName),
  };
  return { truth, userAge, userGender, installed, appCdf, pairsByImpressed, boost, countryOf, categoryOf };
}

const CUM_GENDER = Float64Array.from([0.45, 0.93, 1]);
export const CUM_DEVICE = Float64Array.from(DEVICE_P.map((_, i) => DEVICE_P.slice(0, i + 1).reduce((s, p) => s + p, 0)));

export function countryName(c: number): string {
  return `cty${String(c).padStart(2, '0')}`;
}

export function categoryName(k: number): string {
  return `cat${String(k).padStart(2, '0')}`;
}

/** The true logit of showing app `a` to user `u` on a device. */
export function trueLogit(world: SyntheticWorld, u: number, a: number, device: number): number {
  const { truth } = world;
  const d = truth.config.latentDim;
  let dot = 0;
  for (let k = 0; k < d; k++) dot += (truth.userFactors[u * d + k] as number) * (truth.appFactors[a * d + k] as number);
  let z = truth.bias + truth.config.latentWeight * dot;
  z += world.boost[(world.countryOf[u] as number) * truth.config.numCategories + (world.categoryOf[a] as number)] as number;
  const pairs = world.pairsByImpressed.get(a);
  if (pairs !== undefined) {
    const inst = world.installed[u] as Int32Array;
    for (const [b, w] of pairs) if (hasSorted(inst, b)) z += w;
  }
  return z + (DEVICE_EFFECT[DEVICES[device] as (typeof DEVICES)[number]] ?? 0);
}

/** Cumulative Zipf(s) probabilities over ranks 1..n. */
export function zipfCdf(n: number, s: number): Float64Array {
  const cdf = new Float64Array(n);
  let total = 0;
  for (let r = 0; r < n; r++) {
    total += Math.pow(r + 1, -s);
    cdf[r] = total;
  }
  for (let r = 0; r < n; r++) cdf[r] = (cdf[r] as number) / total;
  cdf[n - 1] = 1;
  return cdf;
}

/** Index of the first cdf entry > u (binary search). */
export function sampleCdf(cdf: Float64Array, u: number): number {
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((cdf[mid] as number) > u) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

export function hasSorted(a: Int32Array, x: number): boolean {
  let lo = 0;
  let hi = a.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = a[mid] as number;
    if (v === x) return true;
    if (v < x) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

function drawInstalls(rng: Rng, appCdf: Float64Array, mean: number): Int32Array {
  // 1 + Poisson(mean - 1) distinct apps, drawn by popularity.
  let k = 1;
  const limit = Math.exp(-(mean - 1));
  for (let p = rng.uniform(); p > limit; p *= rng.uniform()) k++;
  k = Math.min(k, appCdf.length);
  const set = new Set<number>();
  for (let tries = 0; set.size < k && tries < 20 * k; tries++) set.add(sampleCdf(appCdf, rng.uniform()));
  return Int32Array.from(set).sort();
}
