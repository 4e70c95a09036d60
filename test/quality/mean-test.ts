import { join, resolve } from 'node:path';
import { fitRun } from '../../src/train/pipeline.js';
import { loadRunConfig } from '../../src/train/run-config.js';
import { DATA_DIR, needData } from '../helpers/shared-data.js';

/**
 * Issue 4's quality numbers, reproduced in CI from the example configs as `widedeep fit` runs them (the same
 * fitRun), seeds 42-44: full trainings (Adult ~3 s a seed, the two MovieLens setups ~15-35 s a seed); the GRU
 * and Criteo examples are left to the benchmark. BENCHMARKS.md has every figure with the PyTorch peer's beside
 * it. One file per example (test/quality/*.test.ts), so that the three spread over vitest's forks instead of
 * one fork running ~3 minutes of training alone at the end of the suite.
 */
const ROOT = resolve(import.meta.dirname, '../..');
export const SEEDS = [42, 43, 44];

/**
 * The mean test metrics of `config` (relative to the repository) over SEEDS; skips the test when `need` (a
 * file under the shared data) is missing.
 */
export async function meanTest(config: string, need: string, ctx: { skip: () => void }): Promise<Record<string, number>> {
  needData(need, config, ctx);
  const base = await loadRunConfig(join(ROOT, config));
  const sums: Record<string, number> = {};
  for (const seed of SEEDS) {
    const r = await fitRun({ ...base, seed, data: { ...base.data, dataDir: DATA_DIR } });
    for (const [k, v] of Object.entries(r.test)) sums[k] = (sums[k] ?? 0) + v / SEEDS.length;
    await r.model.release();
  }
  return sums;
}
