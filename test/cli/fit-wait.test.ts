import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { waitOf } from '../../src/cli/fit.js';
import type { EpochRecord } from '../../src/train/trainer.js';
import { jsonLines, runCli } from '../helpers/cli.js';
import { fileConfig, tempDir, writeCsv } from '../train/stream-fixtures.js';

/**
 * `widedeep fit --json`: the final line says how long the step loops waited for data (`wait`), summed over
 * every epoch the run trained, those of a train.refit included, so that a run's data loading can be judged
 * from its last line.
 */

type EpochLine = { event: 'epoch'; seconds: number; waitSeconds: number; refit?: boolean };
type FinalLine = { event: 'final'; wait: { seconds: number; fraction: number } };

describe('widedeep fit --json: the wait for data', () => {
  it('the final line carries the wait of all epochs, the refit epochs included, and the share of their time', async () => {
    const dir = tempDir();
    try {
      const train = join(dir, 'train.csv');
      writeCsv(train, 3000, { seed: 3 });
      const raw = fileConfig({ train, stream: { shuffleBuffer: 500, chunkSize: 256 }, epochs: 3, earlyStopping: true });
      const config = join(dir, 'run.yaml');
      writeFileSync(config, stringify({ ...raw, train: { ...(raw.train as object), refit: true } }));
      const fit = await runCli(['fit', '--config', config, '--out', join(dir, 'run'), '--json']);
      expect(fit.code).toBe(0);
      const lines = jsonLines(fit.stdout);
      const epochs = lines.filter((l) => l.event === 'epoch') as EpochLine[];
      expect(epochs.some((e) => e.refit === true)).toBe(true);
      expect(epochs.some((e) => e.refit !== true)).toBe(true);
      const final = lines.find((l) => l.event === 'final') as FinalLine;
      const waited = epochs.reduce((s, e) => s + e.waitSeconds, 0);
      const seconds = epochs.reduce((s, e) => s + e.seconds, 0);
      expect(final.wait.seconds).toBeCloseTo(waited, 12);
      expect(final.wait.fraction).toBeCloseTo(waited / seconds, 12);
      expect(final.wait.fraction).toBeGreaterThanOrEqual(0);
      expect(final.wait.fraction).toBeLessThanOrEqual(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('epochs of a checkpoint written before the wait was timed (no waitSeconds) count as no wait', () => {
    const epoch = (seconds: number, waitSeconds?: number): EpochRecord =>
      ({ epoch: 0, step: 1, trainLoss: 0.5, rowsPerSec: 1, seconds, validation: null, ...(waitSeconds !== undefined ? { waitSeconds, waitFraction: waitSeconds / seconds } : {}) }) as EpochRecord;
    expect(waitOf([epoch(4), epoch(2, 0.5), epoch(2, 1.5)])).toEqual({ seconds: 2, fraction: 2 / 8 });
    expect(waitOf([epoch(3)])).toEqual({ seconds: 0, fraction: 0 });
    expect(waitOf([])).toEqual({ seconds: 0, fraction: 0 });
  });
});
