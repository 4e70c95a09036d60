/**
 * Transform throughput on the Adult-like spec (9 categorical incl. 2 hashed and 1 bucketized, 3 crosses,
 * 5 numerics, binary label). Not a test: run with `npx tsx test/features/transform-throughput.ts [chunkRows]`.
 * Uses the shared data's adult/ (test/helpers/shared-data.ts) when present, otherwise synthetic Adult-shaped rows. With a second argument
 * `bags`, it also measures the spec plus a list x categorical cross (a synthetic `installed_apps` list of 0-15
 * of 500 apps per row, crossed with `occupation`).
 */
import type { ColumnValues, RowChunk } from '../../src/data/types.js';
import { fit, transform, type FeatureConfig, type FittedSpec } from '../../src/features/index.js';
import { Rng } from '../../src/core/rng.js';
import { ADULT_COLUMNS, ADULT_CONFIG, ADULT_DIR, adultAvailable, parseAdult, streamOf } from './fixtures.js';

function synthetic(rows: number, chunkRows: number): RowChunk[] {
  const rng = new Rng(1);
  const chunks: RowChunk[] = [];
  const cats = (k: number, prefix: string) => Array.from({ length: k }, (_, i) => `${prefix}-${i}`);
  const pools: Record<string, string[]> = {
    workclass: cats(9, 'w'), education: cats(16, 'e'), marital_status: cats(7, 'm'), occupation: cats(15, 'o'),
    relationship: cats(6, 'r'), race: cats(5, 'ra'), sex: ['Male', 'Female'], native_country: cats(42, 'c'), income: ['<=50K', '>50K'],
  };
  for (let start = 0; start < rows; start += chunkRows) {
    const n = Math.min(chunkRows, rows - start);
    const columns = new Map<string, ColumnValues>();
    for (const name of ADULT_COLUMNS) {
      const pool = pools[name];
      if (pool !== undefined) columns.set(name, Array.from({ length: n }, () => pool[rng.int(pool.length)] ?? null));
      else columns.set(name, Float64Array.from({ length: n }, () => Math.round(rng.uniform() * 90)));
    }
    chunks.push({ numRows: n, columns, source: 'synthetic', rowNumbers: Int32Array.from({ length: n }, (_, i) => start + i + 1) });
  }
  return chunks;
}

/** The chunks with an `installed_apps` list column added (0-15 of 500 apps per row, seeded). */
function withApps(chunks: readonly RowChunk[]): RowChunk[] {
  const rng = new Rng(2);
  return chunks.map((c) => {
    const columns = new Map(c.columns);
    columns.set('installed_apps', Array.from({ length: c.numRows }, () => Array.from({ length: rng.int(16) }, () => `app-${rng.int(500)}`)));
    return { ...c, columns };
  });
}

async function measure(label: string, config: FeatureConfig, chunks: readonly RowChunk[]): Promise<void> {
  const spec: FittedSpec = await fit(config, streamOf(...chunks));
  const total = chunks.reduce((s, c) => s + c.numRows, 0);
  for (let i = 0; i < 3; i++) for (const c of chunks) transform(spec, c); // warm-up
  const times: number[] = [];
  for (let round = 0; round < 7; round++) {
    const t0 = process.hrtime.bigint();
    for (let rep = 0; rep < 5; rep++) for (const c of chunks) transform(spec, c);
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  times.sort((a, b) => a - b);
  const median = times[3] as number;
  process.stdout.write(`${label}: ${total} rows x 5 per round, chunks of ${chunkRows}: ` +
    `median ${((total * 5) / median / 1e6).toFixed(2)}M rows/s (best ${((total * 5) / (times[0] as number) / 1e6).toFixed(2)}M)\n`);
}

const chunkRows = Number(process.argv[2] ?? 8192);
const chunks = adultAvailable() ? parseAdult(`${ADULT_DIR}/adult.data`, chunkRows) : synthetic(32561, chunkRows);
const name = adultAvailable() ? 'adult.data' : 'synthetic';
await measure(name, ADULT_CONFIG, chunks);
if (process.argv[3] === 'bags') {
  const config: FeatureConfig = {
    ...ADULT_CONFIG,
    columns: [
      ...ADULT_CONFIG.columns,
      { type: 'multi-valued', name: 'installed_apps', hashBuckets: 100_000, feeds: [] },
      { type: 'crossed', name: 'installed_x_occupation', components: ['installed_apps', 'occupation'], hashBuckets: 100_000 },
    ],
  };
  await measure(`${name} + installed_apps x occupation (7.5 ids per row)`, config, withApps(chunks));
}
