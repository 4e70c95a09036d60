import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openTable } from '../../src/data/index.js';
import { fitResolved } from '../../src/features/fit.js';
import { transform } from '../../src/features/transform.js';
import { modelBatchOf, modelSizesOf, sliceModelBatch } from '../../src/model/from-spec.js';
import type { ModelBatch } from '../../src/model/sizes.js';
import { WideDeepModel } from '../../src/model/wide-deep.js';
import { parseRunConfig } from '../../src/train/run-config.js';
import { train, type Progress, type TrainSource } from '../../src/train/trainer.js';
import { fileConfig, tempDir, writeCsv } from './stream-fixtures.js';

const dir = tempDir();
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Holds the thread for `ms` (a source's own work: reading, transforming). */
function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

describe('the time training waits for data', () => {
  it("counts the source's own time before each batch: waitSeconds covers it, waitFraction is its share of the epoch", async () => {
    const path = join(dir, 'rows.csv');
    writeCsv(path, 600, { seed: 2 });
    const config = parseRunConfig({ ...fileConfig({ train: path, stream: null, epochs: 2, batchSize: 50 }), train: { epochs: 2, batchSize: 50, validationFraction: 0 } });
    const chunk = await (await openTable({ path })).readAll();
    const spec = await fitResolved(config.features, [chunk]);
    const all = modelBatchOf(transform(spec, chunk));
    const batches: ModelBatch[] = [];
    for (let at = 0; at < all.size; at += 50) batches.push(sliceModelBatch(all, at, Math.min(all.size, at + 50)));
    // What the source spends before handing out each batch of each epoch, measured by the source itself.
    const spent = [0, 0];
    const source: TrainSource = {
      rows: all.size,
      batches: async function* (epoch) {
        for (const b of batches) {
          const t = performance.now();
          await Promise.resolve();
          busy(epoch === 0 ? 2 : 6);
          spent[epoch]! += performance.now() - t;
          yield b;
        }
      },
    };
    const model = await WideDeepModel.create(modelSizesOf(spec), config.model, { seed: 1 });
    const progress: Progress[] = [];
    try {
      const r = await train(model, source, config.train, { events: { onProgress: (p) => void progress.push(p) } });
      expect(r.history).toHaveLength(2);
      r.history.forEach((h, e) => {
        expect(h.waitSeconds).toBeGreaterThanOrEqual(spent[e]! / 1000);
        expect(h.waitSeconds).toBeLessThanOrEqual(h.seconds);
        expect(h.waitFraction).toBeCloseTo(h.waitSeconds / h.seconds, 12);
      });
      expect(progress.every((p) => p.waitFraction >= 0 && p.waitFraction <= 1)).toBe(true);
    } finally {
      await model.release();
    }
  });
});
