/**
 * The slowest lane of a Criteo-shaped sparse phase under `laneOf`, before and after the wide features became
 * lane tables: derived from one-thread costs measured elsewhere (bench/sparse-workers-case.ts with no workers:
 * ms a step of the embeddings' and the wide part's feed + update, divided by their 26 tables and 26 features),
 * not a wall-clock measurement. Prints one line per lane count.
 *
 *   npx tsx bench/lane-loads.ts [msPerEmbeddingTable=0.6] [msPerWideFeature=0.18] [wideFeatureCost=4]
 *
 * (wideFeatureCost: laneOf's cost of a wide feature against a table's 16; 4 when the table above was made,
 * WIDE_FEATURE_COST (8) since the embeddings run in the SIMD kernels.)
 */
import { laneOf } from '../src/sparse/lane-of.js';

const TABLES = 26;
const FEATURES = 26;
const tableMs = Number(process.argv[2] ?? 0.6);
const featureMs = Number(process.argv[3] ?? 0.18);
const wideCost = Number(process.argv[4] ?? 4);
for (const lanes of [2, 4, 8, 16]) {
  // Before: the wide part whole on lane 0 (laneOf's mainLoad, 4 per feature), the tables shared out around it.
  const before = new Array<number>(lanes).fill(0);
  before[0] = FEATURES * featureMs;
  laneOf(new Array<number>(TABLES).fill(16), lanes, 4 * FEATURES).forEach((l) => (before[l]! += tableMs));
  // After: every wide feature (cost wideCost) and table (cost 16, its dim) a lane table.
  const after = new Array<number>(lanes).fill(0);
  laneOf([...new Array<number>(FEATURES).fill(wideCost), ...new Array<number>(TABLES).fill(16)], lanes).forEach((l, i) => (after[l]! += i < FEATURES ? featureMs : tableMs));
  const even = (TABLES * tableMs + FEATURES * featureMs) / lanes;
  console.log(`lanes ${lanes}: slowest lane before ${Math.max(...before).toFixed(2)} ms, after ${Math.max(...after).toFixed(2)} ms, even split ${even.toFixed(2)} ms`);
}
