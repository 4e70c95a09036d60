import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';

/** A small synthetic run (a few seconds): the demo's features on fewer rows and users. */
export function smallConfig(overrides: { rows?: number; epochs?: number; seed?: number; earlyStopping?: boolean } = {}): Record<string, unknown> {
  return {
    seed: overrides.seed ?? 3,
    data: { dataset: 'synthetic', rows: overrides.rows ?? 4000, synthetic: { numUsers: 300, numApps: 200, numCountries: 5, numCategories: 8, numCountryCategoryBoosts: 10, countryCategoryWeight: 2 } },
    features: {
      columns: [
        { type: 'categorical', name: 'user_id', hashBuckets: 500, embeddingDim: 4, feeds: ['deep'] },
        { type: 'categorical', name: 'app_id', embeddingDim: 4 },
        { type: 'categorical', name: 'app_category' },
        { type: 'categorical', name: 'country' },
        { type: 'multi-valued', name: 'installed_apps', embeddingDim: 4, feeds: ['wide', 'deep'] },
        { type: 'bucketized', name: 'age_buckets', source: 'age', boundaries: [25, 45] },
        { type: 'crossed', name: 'country_x_category', components: ['country', 'app_category'], hashBuckets: 300 },
        { type: 'numeric', name: 'age', normalize: 'standardize' },
      ],
      label: { kind: 'binary', column: 'label' },
    },
    model: {
      kind: 'wide_deep',
      deep: { type: 'mlp', hidden: [16, 8], dropout: 0.1 },
      optimizers: { wide: { type: 'ftrl', alpha: 0.5 }, embeddings: { type: 'adagrad', lr: 0.1 }, deep: { type: 'adam', lr: 0.01 } },
    },
    train: {
      epochs: overrides.epochs ?? 2,
      batchSize: 128,
      validationFraction: 0.2,
      ...(overrides.earlyStopping ? { earlyStopping: { metric: 'auc', mode: 'max', patience: 1 } } : {}),
    },
  };
}

/** Writes a config to a fresh temp dir; returns [dir, config path]. */
export function writeConfig(config: Record<string, unknown>): [string, string] {
  const dir = mkdtempSync(join(tmpdir(), 'wd-cli-'));
  const path = join(dir, 'run.yaml');
  writeFileSync(path, stringify(config));
  return [dir, path];
}
