import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { openTable } from '../../src/data/index.js';
import { stringColumns } from '../../src/features/checks.js';
import { fitResolved } from '../../src/features/fit.js';
import type { FittedSpec } from '../../src/features/fitted-spec.js';
import { fitRun } from '../../src/train/pipeline.js';
import { parseRunConfig } from '../../src/train/run-config.js';
import { StreamData } from '../../src/train/stream-source.js';
import { jsonLines, runCli } from '../helpers/cli.js';
import { tempDir } from './stream-fixtures.js';

// Issue 16: a categorical CSV column of zip codes ("02139") was read as a number and stored as "2139", so
// serving "02139" mapped to unseen. Columns read by categorical features are read as strings.

const ZIPS = ['02139', '02142', '00501', '10001', '94105'];
let dir: string;
let csv: string;

/** zip (categorical, leading zeros), store (identity-encoded: stays numeric), x (numeric), label. */
function writeZipCsv(path: string, rows: number): void {
  const rng = new Rng(7);
  const lines = ['zip,store,x,label'];
  for (let i = 0; i < rows; i++) {
    const z = rng.int(ZIPS.length);
    const x = rng.normal();
    const y = rng.uniform() < 1 / (1 + Math.exp(-(z - 2 + x))) ? 1 : 0;
    lines.push(`${ZIPS[z]},${i % 3},${x.toFixed(3)},${y}`);
  }
  writeFileSync(path, `${lines.join('\n')}\n`);
}

function zipConfig(stream: boolean): Record<string, unknown> {
  return {
    seed: 3,
    data: { dataset: 'files', train: { path: csv }, ...(stream ? { stream: { chunkSize: 128 } } : {}) },
    features: {
      columns: [
        { type: 'categorical', name: 'zip', embeddingDim: 4 },
        { type: 'categorical', name: 'store', identity: { numBuckets: 3 }, feeds: ['wide'] },
        { type: 'numeric', name: 'x' },
      ],
      label: { kind: 'binary', column: 'label' },
    },
    model: { kind: 'wide_deep', deep: { type: 'mlp', hidden: [4] } },
    train: { epochs: 1, batchSize: 64, validationFraction: 0.1 },
  };
}

const vocabulary = (spec: FittedSpec): string[] => (spec.columns.find((c) => c.name === 'zip') as { encoding: { values: string[] } }).encoding.values;

beforeAll(() => {
  dir = tempDir();
  csv = join(dir, 'zips.csv');
  writeZipCsv(csv, 600);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('categorical CSV columns keep their text', () => {
  it('stringColumns: vocabulary and hash categoricals, not identity ones or numeric sources', () => {
    const config = parseRunConfig(zipConfig(false));
    expect(stringColumns(config.features)).toEqual(['zip']);
  });

  it('a fit in memory keeps "02139" in the vocabulary (an identity column stays numeric)', async () => {
    const r = await fitRun(parseRunConfig(zipConfig(false)));
    await r.model.release();
    expect([...vocabulary(r.spec)].sort()).toEqual([...ZIPS].sort());
  });

  it('a stream-mode fit keeps "02139" too', async () => {
    const config = parseRunConfig(zipConfig(true));
    const data = await StreamData.open(config.data, config.seed, config.train.validationFraction, config.features);
    const spec = await fitResolved(config.features, data.fitPass());
    expect([...vocabulary(spec)].sort()).toEqual([...ZIPS].sort());
    const reader = await openTable({ path: csv, stringColumns: stringColumns(spec) });
    expect(reader.schema).toEqual([
      { name: 'zip', kind: 'categorical' },
      { name: 'store', kind: 'numeric' },
      { name: 'x', kind: 'numeric' },
      { name: 'label', kind: 'numeric' },
    ]);
  });

  it('predict --input and eval --input read "02139" as the vocabulary value, not unseen', async () => {
    const path = join(dir, 'zips.yaml');
    writeFileSync(path, stringify(zipConfig(false)));
    const fit = await runCli(['fit', '--config', path, '--out', join(dir, 'run')]);
    expect(fit.code, fit.stderr).toBe(0);
    const model = join(dir, 'run', 'model');
    const rows = join(dir, 'rows.csv');
    writeFileSync(rows, 'zip,store,x\n02139,1,0.5\n00501,2,-0.5\n');
    const [predict, evaluate] = await Promise.all([
      runCli(['predict', '--model', model, '--input', rows, '--explain', '--top-k', '10']),
      runCli(['eval', '--model', model, '--input', csv, '--json']),
    ]);
    expect(predict.code, predict.stderr).toBe(0);
    const zipTerms = jsonLines(predict.stdout).map((l) => (l.top as { feature: string; value: string }[]).find((t) => t.feature === 'zip')?.value);
    expect(zipTerms).toEqual(['02139', '00501']);
    expect(evaluate.code, evaluate.stderr).toBe(0);
    expect(jsonLines(evaluate.stdout)[0]?.rows).toBe(600);
  }, 60_000);
});
