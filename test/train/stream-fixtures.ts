import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../../src/core/rng.js';

/**
 * A CSV with a learnable binary label: user and item effects (the same in every file) plus a numeric slope;
 * `seed` draws the rows. Data row i is line i + 2 (after the header).
 */
export function writeCsv(path: string, rows: number, options: { seed?: number; value?: (rowNumber: number) => string | null; badLines?: readonly number[] } = {}): void {
  const world = new Rng(1);
  const wu = Array.from({ length: 40 }, () => world.normal());
  const wi = Array.from({ length: 25 }, () => world.normal());
  const rng = new Rng(options.seed ?? 1);
  const lines = ['user,item,x,label'];
  for (let i = 0; i < rows; i++) {
    const line = i + 2;
    if (options.badLines?.includes(line)) {
      lines.push('u1,i1,x,1,extra');
      continue;
    }
    const u = rng.int(wu.length);
    const it = rng.int(wi.length);
    const x = rng.normal();
    const logit = 1.2 * (wu[u] as number) + (wi[it] as number) + 1.5 * x;
    const y = rng.uniform() < 1 / (1 + Math.exp(-logit)) ? 1 : 0;
    lines.push(`${options.value?.(line) ?? `u${u}`},i${it},${x.toFixed(4)},${y}`);
  }
  writeFileSync(path, `${lines.join('\n')}\n`);
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'wd-stream-'));
}

/** A small Wide & Deep run over `train` (and `test`) files; `stream` adds data.stream. */
export function fileConfig(o: { train: string; test?: string; stream?: Record<string, unknown> | null; seed?: number; epochs?: number; batchSize?: number; earlyStopping?: boolean; onBadRow?: 'error' | 'skip'; validationFraction?: number }): Record<string, unknown> {
  return {
    seed: o.seed ?? 5,
    data: {
      dataset: 'files',
      train: { path: o.train },
      ...(o.test ? { test: { path: o.test } } : {}),
      testFraction: 0.2,
      ...(o.onBadRow ? { onBadRow: o.onBadRow } : {}),
      ...(o.stream !== null ? { stream: o.stream ?? {} } : {}),
    },
    features: {
      columns: [
        { type: 'categorical', name: 'user', vocabulary: { minCount: 1 }, embeddingDim: 4 },
        { type: 'categorical', name: 'item', vocabulary: { minCount: 1 }, embeddingDim: 4 },
        { type: 'numeric', name: 'x', normalize: 'standardize' },
      ],
      label: { kind: 'binary', column: 'label' },
    },
    model: {
      kind: 'wide_deep',
      deep: { type: 'mlp', hidden: [8] },
      optimizers: { wide: { type: 'ftrl', alpha: 0.5 }, embeddings: { type: 'adagrad', lr: 0.1 }, deep: { type: 'adam', lr: 0.01 } },
    },
    train: {
      epochs: o.epochs ?? 2,
      batchSize: o.batchSize ?? 64,
      validationFraction: o.validationFraction ?? 0.2,
      ...(o.earlyStopping ? { earlyStopping: { metric: 'auc', mode: 'max', patience: 1 } } : {}),
    },
  };
}
