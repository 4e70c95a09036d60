import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { expandSuite, parseSuite } from '../../src/experiments/suite.js';
import { runTrial } from '../../src/experiments/trial.js';
import { fileConfig, tempDir, writeCsv } from '../train/stream-fixtures.js';

describe('experiment trials in stream mode', () => {
  it('train from a stream and report the streamed test metrics (no curves: no test rows are held)', async () => {
    const dir = tempDir();
    const train = join(dir, 'train.csv');
    writeCsv(train, 1500, { seed: 3 });
    const base = join(dir, 'base.yaml');
    writeFileSync(base, stringify(fileConfig({ train, stream: { shuffleBuffer: 500, chunkSize: 256 }, epochs: 1 })));
    const [trial] = expandSuite(parseSuite({ name: 'stream', base, grid: { 'model.kind': ['wide_deep'] }, seeds: [1] }));
    const record = await runTrial(trial!, { threads: 1 });
    expect(record.error).toBeNull();
    expect(record.status).toBe('ok');
    expect(record.test?.auc).toBeGreaterThan(0.5);
    expect(record.curves).toBeNull();
  });
});
