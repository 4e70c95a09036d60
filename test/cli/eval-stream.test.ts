import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadBundle } from '../../src/artifact/bundle.js';
import { readAll } from '../../src/data/index.js';
import { evalSetOf } from '../../src/train/pipeline.js';
import { evaluateModel } from '../../src/train/trainer.js';
import { jsonLines, runCli } from '../helpers/cli.js';
import { fileConfig, tempDir, writeCsv } from '../train/stream-fixtures.js';

type EvalLine = { source: string; rows: number; metrics: Record<string, number> };

describe('widedeep eval, streamed', () => {
  it('scores a stream-mode bundle on its held-out test rows as fit did, and a whole file chunk by chunk as in memory', async () => {
    const dir = tempDir();
    const train = join(dir, 'train.csv');
    const other = join(dir, 'other.csv');
    writeCsv(train, 3000, { seed: 4 });
    writeCsv(other, 1200, { seed: 9 });
    const config = join(dir, 'run.yaml');
    writeFileSync(config, stringify(fileConfig({ train, stream: { shuffleBuffer: 500, chunkSize: 256 }, epochs: 2 })));
    const out = join(dir, 'run');
    const fit = await runCli(['fit', '--config', config, '--out', out, '--json']);
    expect(fit.code).toBe(0);
    const final = jsonLines(fit.stdout).find((l) => l.event === 'final') as { test: Record<string, number> };

    const held = await runCli(['eval', '--model', join(out, 'model'), '--json']);
    expect(held.code).toBe(0);
    const h = jsonLines(held.stdout)[0] as EvalLine;
    expect(h.source).toBe(`${train} (held-out test rows)`);
    expect(h.rows).toBeGreaterThan(400); // testFraction 0.2 of 3000 rows
    expect(h.rows).toBeLessThan(800);
    expect(h.metrics.auc).toBeCloseTo(final.test.auc as number, 10);
    expect(h.metrics.logLoss).toBeCloseTo(final.test.logLoss as number, 10);

    const file = await runCli(['eval', '--model', join(out, 'model'), '--input', other, '--json']);
    expect(file.code).toBe(0);
    const f = jsonLines(file.stdout)[0] as EvalLine;
    expect(f.rows).toBe(1200);
    const { model, bundle } = await loadBundle(join(out, 'model'));
    const whole = await evaluateModel(model, evalSetOf(bundle.spec, (await readAll({ path: other })).data, null));
    await model.release();
    expect(f.metrics.auc).toBeCloseTo(whole.auc as number, 10);
    expect(f.metrics.count).toBe(whole.count);
  });
});
