/**
 * Transform throughput on the Adult-like spec (9 categorical incl. 2 hashed and 1 bucketized, 3 crosses,
 * 5 numerics, binary label). Not a test: run with `npx tsx test/features/transform-throughput.ts`.
 * Uses /work/shared/data/adult when present, otherwise synthetic Adult-shaped rows.
 */
import type { ColumnValues, RowChunk } from '../../src/data/types.js';
import { fit, transform } from '../../src/features/index.js';
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

const chunkRows = Number(process.argv[2] ?? 8192);
const chunks = adultAvailable() ? parseAdult(`${ADULT_DIR}/adult.data`, chunkRows) : synthetic(32561, chunkRows);
const spec = await fit(ADULT_CONFIG, streamOf(...chunks));
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
process.stdout.write(`${adultAvailable() ? 'adult.data' : 'synthetic'}: ${total} rows x 5 per round, chunks of ${chunkRows}: ` +
  `median ${((total * 5) / median / 1e6).toFixed(2)}M rows/s (best ${((total * 5) / (times[0] as number) / 1e6).toFixed(2)}M)\n`);
