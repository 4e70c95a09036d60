import type { ColumnSchema, RowChunk } from './types.js';
import { Rng } from '../core/rng.js';
import { ChunkBuilder, concatChunks } from './chunk.js';
import { checkKeys, configError } from './data-errors.js';
import { DEFAULT_CHUNK_SIZE } from './options.js';
import {
  CUM_DEVICE,
  DEVICES,
  createSyntheticWorld,
  hasSorted,
  sampleCdf,
  trueLogit,
  type SyntheticConfig,
  type SyntheticWorld,
} from './synthetic-world.js';

export {
  createSyntheticWorld,
  DEFAULT_SYNTHETIC_CONFIG,
  type SyntheticConfig,
  type SyntheticTruth,
  type SyntheticWorld,
  type PlantedPair,
  type CountryCategoryBoost,
} from './synthetic-world.js';

/**
 * The embedded default dataset: a Google-Play-like impression log (Cheng et al. 2016's setting), generated from a
 * seed with no file and no download. Each row is one app impression to a user:
 *
 * | column         | kind        | meaning                                                  |
 * |----------------|-------------|----------------------------------------------------------|
 * | user_id        | categorical | `u<n>`                                                   |
 * | country        | categorical | user country (`cty00` most common)                       |
 * | age            | numeric     | 16..70                                                   |
 * | gender         | categorical | f / m / u                                                |
 * | installed_apps | list        | apps the user has installed (popular apps more often)    |
 * | app_id         | categorical | impressed app `a<rank>`, Zipf popularity, long tail      |
 * | app_category   | categorical | `cat00`..                                                |
 * | device         | categorical | phone / tablet / tv                                      |
 * | hour           | numeric     | 0..23                                                    |
 * | timestamp      | numeric     | seconds, increasing with the row                         |
 * | label          | numeric     | 1 = installed, drawn from sigmoid(true logit)            |
 * | true_logit     | numeric     | only with `includeTruth`                                 |
 *
 * true logit = bias + latentWeight * <user factors, app factors> (generalization)
 *            + pairWeight for every planted (installed app, impressed app) pair the row has (memorization)
 *            + countryCategoryWeight for a planted (country, app category) boost + a small device effect.
 * `world.truth` exposes all of it. Rows come from one seeded stream, so the data do not depend on chunkSize.
 */
export const SYNTHETIC_SCHEMA: readonly ColumnSchema[] = [
  { name: 'user_id', kind: 'categorical' },
  { name: 'country', kind: 'categorical' },
  { name: 'age', kind: 'numeric' },
  { name: 'gender', kind: 'categorical' },
  { name: 'installed_apps', kind: 'list' },
  { name: 'app_id', kind: 'categorical' },
  { name: 'app_category', kind: 'categorical' },
  { name: 'device', kind: 'categorical' },
  { name: 'hour', kind: 'numeric' },
  { name: 'timestamp', kind: 'numeric' },
  { name: 'label', kind: 'numeric' },
];

export interface SyntheticRowsOptions {
  /** Number of rows. */
  readonly rows: number;
  /** Default 8192. */
  readonly chunkSize?: number;
  /** Adds the `true_logit` column. Default false. */
  readonly includeTruth?: boolean;
}

/** Streams `rows` impressions of a world (or of a world built from a config) in chunks. */
export function* syntheticChunks(world: SyntheticWorld | Partial<SyntheticConfig>, options: SyntheticRowsOptions): Generator<RowChunk, void, undefined> {
  checkKeys(options, ['rows', 'chunkSize', 'includeTruth'], 'syntheticChunks');
  const w = 'truth' in world ? (world as SyntheticWorld) : createSyntheticWorld(world as Partial<SyntheticConfig>);
  if (!(Number.isInteger(options.rows) && options.rows >= 0 && options.rows < 2 ** 31)) {
    throw configError(`rows must be an integer in [0, 2^31), got ${options.rows}`, { field: 'rows', fix: 'e.g. rows: 100000' });
  }
  const { truth } = w;
  const schema = options.includeTruth === true ? [...SYNTHETIC_SCHEMA, { name: 'true_logit', kind: 'numeric' } as const] : SYNTHETIC_SCHEMA;
  const source = `synthetic(seed=${truth.config.seed})`;
  const builder = new ChunkBuilder(schema, options.chunkSize ?? DEFAULT_CHUNK_SIZE, source);
  const rng = new Rng(truth.config.seed).fork('rows');
  const installedIds = w.installed.map((list) => Array.from(list, (a) => truth.appIds[a] as string));
  const row: unknown[] = new Array<unknown>(schema.length);
  for (let i = 0; i < options.rows; i++) {
    const u = rng.int(truth.userIds.length);
    const inst = w.installed[u] as Int32Array;
    let a = sampleCdf(w.appCdf, rng.uniform());
    // The store rarely shows an app the user already has: redraw a few times.
    for (let t = 0; t < 5 && hasSorted(inst, a); t++) a = sampleCdf(w.appCdf, rng.uniform());
    const device = sampleCdf(CUM_DEVICE, rng.uniform());
    const hour = rng.int(24);
    const z = trueLogit(w, u, a, device);
    const label = rng.uniform() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
    row[0] = truth.userIds[u];
    row[1] = truth.userCountry[u];
    row[2] = w.userAge[u];
    row[3] = w.userGender[u];
    row[4] = installedIds[u];
    row[5] = truth.appIds[a];
    row[6] = truth.appCategory[a];
    row[7] = DEVICES[device];
    row[8] = hour;
    row[9] = 1_600_000_000 + Math.floor(i * 8.64);
    row[10] = label;
    if (schema.length > 11) row[11] = z;
    builder.appendValues(row, i + 1);
    if (builder.full) yield builder.build();
  }
  if (builder.length > 0) yield builder.build();
}

/** All rows at once (small data). */
export function syntheticData(world: SyntheticWorld | Partial<SyntheticConfig>, options: SyntheticRowsOptions): RowChunk {
  return concatChunks([...syntheticChunks(world, options)]);
}
