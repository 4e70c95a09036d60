import { z } from 'zod';

/**
 * The feature configuration as plain data (YAML/JSON), one zod schema per column type. Every object is strict:
 * an unknown key is an error that lists the valid keys. docs/FEATURES.md is the reference for every key.
 */

const name = z.string().min(1);
const positiveInt = z.number().int().min(1);
const feed = z.enum(['wide', 'deep']);
const feeds = z.array(feed).max(2);

/** Vocabulary fitted from the training data: values seen at least `minCount` times, at most `maxSize` of them. */
const vocabularySchema = z.strictObject({
  minCount: positiveInt.optional(),
  maxSize: positiveInt.optional(),
});

const identitySchema = z.strictObject({ numBuckets: positiveInt });

/** The four ways a categorical value becomes an id; a column uses exactly one (default: fitted vocabulary). */
const idEncodingKeys = {
  vocabulary: vocabularySchema.optional(),
  values: z.array(z.string()).min(1).optional(),
  hashBuckets: positiveInt.optional(),
  identity: identitySchema.optional(),
};

export const categoricalSchema = z.strictObject({
  type: z.literal('categorical'),
  name,
  source: name.optional(),
  feeds: feeds.optional(),
  embeddingDim: positiveInt.optional(),
  /** Keep only the first `prefix` characters of every value (e.g. a zip code's region: `prefix: 3`). */
  prefix: positiveInt.optional(),
  ...idEncodingKeys,
});

export const numericSchema = z.strictObject({
  type: z.literal('numeric'),
  name,
  source: name.optional(),
  feeds: feeds.optional(),
  clip: z.strictObject({ min: z.number(), max: z.number() }).optional(),
  log1p: z.boolean().optional(),
  normalize: z.enum(['none', 'standardize', 'quantile']).optional(),
  numQuantiles: z.number().int().min(2).optional(),
  missing: z
    .strictObject({
      strategy: z.enum(['error', 'mean', 'median', 'zero', 'constant']),
      value: z.number().optional(),
      indicator: z.boolean().optional(),
    })
    .optional(),
});

export const bucketizedSchema = z.strictObject({
  type: z.literal('bucketized'),
  name,
  source: name.optional(),
  feeds: feeds.optional(),
  embeddingDim: positiveInt.optional(),
  boundaries: z.array(z.number()).min(1).optional(),
  quantiles: z.number().int().min(2).optional(),
});

export const crossedSchema = z.strictObject({
  type: z.literal('crossed'),
  name,
  components: z.array(name).min(2),
  commutative: z.boolean().optional(),
  feeds: feeds.optional(),
  embeddingDim: positiveInt.optional(),
  hashBuckets: positiveInt.optional(),
  vocabulary: vocabularySchema.optional(),
  pooling: z.enum(['sum', 'mean']).optional(),
  maxCrossIds: positiveInt.optional(),
});

export const multiValuedSchema = z.strictObject({
  type: z.literal('multi-valued'),
  name,
  source: name.optional(),
  separator: z.string().min(1).optional(),
  pooling: z.enum(['sum', 'mean']).optional(),
  feeds: feeds.optional(),
  embeddingDim: positiveInt.optional(),
  ...idEncodingKeys,
});

export const sequenceSchema = z.strictObject({
  type: z.literal('sequence'),
  name,
  source: name.optional(),
  separator: z.string().min(1).optional(),
  length: positiveInt,
  feeds: feeds.optional(),
  embeddingDim: positiveInt.optional(),
  ...idEncodingKeys,
});

/** Column schemas by `type`; the parser dispatches on `type` so errors name the right schema's keys. */
export const columnSchemas = {
  categorical: categoricalSchema,
  numeric: numericSchema,
  bucketized: bucketizedSchema,
  crossed: crossedSchema,
  'multi-valued': multiValuedSchema,
  sequence: sequenceSchema,
} as const;

export type ColumnType = keyof typeof columnSchemas;
export const COLUMN_TYPES = Object.keys(columnSchemas) as ColumnType[];

const predicateSchema = z.strictObject({ op: z.enum(['>', '>=', '<', '<=', '==']), value: z.number() });

export const binaryLabelSchema = z.strictObject({
  kind: z.literal('binary'),
  column: name,
  positive: z.array(z.string()).min(1).optional(),
  negative: z.array(z.string()).min(1).optional(),
  predicate: predicateSchema.optional(),
  weight: name.optional(),
});

export const regressionLabelSchema = z.strictObject({
  kind: z.literal('regression'),
  column: name,
  /**
   * A binary event of the target (e.g. rating >= 4) that evaluation scores the predictions against: AUC and,
   * on data with users, per-user ranking metrics, beside RMSE / MAE. Training is unchanged.
   */
  event: predicateSchema.optional(),
  weight: name.optional(),
});

export const multiclassLabelSchema = z.strictObject({
  kind: z.literal('multiclass'),
  column: name,
  classes: z.array(z.string()).min(2).optional(),
  weight: name.optional(),
});

export const labelSchemas = {
  binary: binaryLabelSchema,
  regression: regressionLabelSchema,
  multiclass: multiclassLabelSchema,
} as const;

export type LabelKind = keyof typeof labelSchemas;
export const LABEL_KINDS = Object.keys(labelSchemas) as LabelKind[];

/** Top-level keys; `columns` and `label` are checked per entry by the schemas above. */
export const featureConfigSchema = z.strictObject({
  columns: z.array(z.unknown()).min(1),
  label: z.unknown().optional(),
  onBadRow: z.enum(['error', 'skip']).optional(),
  embeddingDimCap: positiveInt.optional(),
  sampling: z.strictObject({ reservoirSize: positiveInt.optional(), seed: z.number().int().optional() }).optional(),
});

export type Feed = z.infer<typeof feed>;
export type CategoricalConfig = z.input<typeof categoricalSchema>;
export type NumericConfig = z.input<typeof numericSchema>;
export type BucketizedConfig = z.input<typeof bucketizedSchema>;
export type CrossedConfig = z.input<typeof crossedSchema>;
export type MultiValuedConfig = z.input<typeof multiValuedSchema>;
export type SequenceConfig = z.input<typeof sequenceSchema>;
export type ColumnConfig =
  | CategoricalConfig
  | NumericConfig
  | BucketizedConfig
  | CrossedConfig
  | MultiValuedConfig
  | SequenceConfig;
export type BinaryLabelConfig = z.input<typeof binaryLabelSchema>;
export type RegressionLabelConfig = z.input<typeof regressionLabelSchema>;
export type MulticlassLabelConfig = z.input<typeof multiclassLabelSchema>;
export type LabelConfig = BinaryLabelConfig | RegressionLabelConfig | MulticlassLabelConfig;

/** A whole feature configuration: columns, label, bad-row policy and fitting options. */
export type FeatureConfig = Omit<z.input<typeof featureConfigSchema>, 'columns' | 'label'> & {
  columns: ColumnConfig[];
  label?: LabelConfig | undefined;
};

type Without<T, K extends keyof T> = Omit<T, K>;

/** Typed builders: the same plain objects as the YAML form, with `type` (or `kind`) filled in. */
export const categorical = (c: Without<CategoricalConfig, 'type'>): CategoricalConfig => ({ type: 'categorical', ...c });
export const numeric = (c: Without<NumericConfig, 'type'>): NumericConfig => ({ type: 'numeric', ...c });
export const bucketized = (c: Without<BucketizedConfig, 'type'>): BucketizedConfig => ({ type: 'bucketized', ...c });
export const crossed = (c: Without<CrossedConfig, 'type'>): CrossedConfig => ({ type: 'crossed', ...c });
export const multiValued = (c: Without<MultiValuedConfig, 'type'>): MultiValuedConfig => ({ type: 'multi-valued', ...c });
export const sequence = (c: Without<SequenceConfig, 'type'>): SequenceConfig => ({ type: 'sequence', ...c });
export const binaryLabel = (c: Without<BinaryLabelConfig, 'kind'>): BinaryLabelConfig => ({ kind: 'binary', ...c });
export const regressionLabel = (c: Without<RegressionLabelConfig, 'kind'>): RegressionLabelConfig => ({
  kind: 'regression',
  ...c,
});
export const multiclassLabel = (c: Without<MulticlassLabelConfig, 'kind'>): MulticlassLabelConfig => ({
  kind: 'multiclass',
  ...c,
});
