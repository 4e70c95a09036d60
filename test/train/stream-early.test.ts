import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idleScanWorkers } from '../../src/data/scan-pool.js';
import { fitResolved } from '../../src/features/fit.js';
import type { FittedSpec } from '../../src/features/fitted-spec.js';
import type { ModelBatch } from '../../src/model/sizes.js';
import { fitRun } from '../../src/train/pipeline.js';
import { parseRunConfig, type RunConfig } from '../../src/train/run-config.js';
import { StreamData } from '../../src/train/stream-source.js';
import { fileConfig, tempDir, writeCsv } from './stream-fixtures.js';

/**
 * A stream-mode source may start an epoch's pass early (`StreamData.source(..., { early })`; fitRun starts
 * the first epoch before it builds the model), so that the shuffle buffer fills while this thread does other
 * work. The pass is the one the epoch then takes (same batches); a pass nobody takes is closed, and its
 * worker goes back to the pool: on close, when another epoch comes first, and when the run fails before
 * training.
 */

let dir: string;
let csv: string;
beforeAll(() => {
  dir = tempDir();
  csv = join(dir, 'train.csv');
  writeCsv(csv, 2000, { seed: 11 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const configOf = (): RunConfig => parseRunConfig(fileConfig({ train: csv, stream: { shuffleBuffer: 600, chunkSize: 256 }, epochs: 2, batchSize: 50 }));

async function fitted(config: RunConfig): Promise<{ data: StreamData; spec: FittedSpec }> {
  const data = await StreamData.open(config.data, config.seed, config.train.validationFraction, config.features);
  return { data, spec: await fitResolved(config.features, data.fitPass()) };
}

async function labelsOf(batches: AsyncIterable<ModelBatch>): Promise<number[]> {
  const out: number[] = [];
  for await (const b of batches) out.push(...(b.labels as Float32Array), ...(b.wide?.ids ?? []));
  return out;
}

describe('an epoch pass started early', () => {
  it('holds a worker from the start, and close gives it back when no epoch took it', async () => {
    const config = configOf();
    const { data, spec } = await fitted(config);
    const idle = idleScanWorkers();
    const source = data.source(spec, config.train.batchSize, { early: 0 });
    expect(idleScanWorkers()).toBe(idle - 1);
    await source.close();
    expect(idleScanWorkers()).toBe(idle);
    // Closed, it is a plain source: epoch 0 is a fresh pass, with the batches of the pass never taken.
    expect(await labelsOf(source.batches(0))).toEqual(await labelsOf(data.source(spec, config.train.batchSize).batches(0)));
  });

  it('another epoch asked first: the early pass is closed, and that epoch has its own batches', async () => {
    const config = configOf();
    const { data, spec } = await fitted(config);
    const idle = idleScanWorkers();
    const source = data.source(spec, config.train.batchSize, { early: 0 });
    const one = await labelsOf(source.batches(1));
    expect(one).toEqual(await labelsOf(data.source(spec, config.train.batchSize).batches(1)));
    expect(one).not.toEqual(await labelsOf(data.source(spec, config.train.batchSize).batches(0)));
    await source.close();
    expect(idleScanWorkers()).toBe(idle);
  });

  it('a fit that fails after its source is made (here in onReady) closes the early pass: its worker is idle again', async () => {
    const config = configOf();
    await fitted(config); // a stream worker started and idle
    const idle = idleScanWorkers();
    let ready = false;
    const failed = await fitRun(config, {
      onReady: () => {
        ready = true;
        throw new Error('stop before training');
      },
    }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(ready).toBe(true);
    expect((failed as Error).message).toBe('stop before training');
    expect(idleScanWorkers()).toBe(idle);
  });
});
