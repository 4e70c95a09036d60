/**
 * Feature columns for Wide & Deep: a plain-data config (or the typed builders), `fit` over training chunks to
 * a JSON FittedSpec, `transform` of chunks into FeatureBatches, and `specSizes` for every model size.
 * docs/FEATURES.md is the reference.
 */
export {
  categorical,
  numeric,
  bucketized,
  crossed,
  multiValued,
  sequence,
  binaryLabel,
  regressionLabel,
  multiclassLabel,
  COLUMN_TYPES,
  LABEL_KINDS,
  type FeatureConfig,
  type ColumnConfig,
  type ColumnType,
  type CategoricalConfig,
  type NumericConfig,
  type BucketizedConfig,
  type CrossedConfig,
  type MultiValuedConfig,
  type SequenceConfig,
  type LabelConfig,
  type LabelKind,
  type BinaryLabelConfig,
  type RegressionLabelConfig,
  type MulticlassLabelConfig,
  type Feed,
} from './config-schema.js';
export { parseFeatureConfig, parseFeatureConfigYaml } from './config-parse.js';
export type { ResolvedConfig, ResolvedColumn, ResolvedLabel, CrossBagConfig, BadRowPolicy, Pooling, MissingStrategy, Normalization } from './resolved.js';
export { fit, fitResolved } from './fit.js';
export {
  FORMAT_VERSION,
  parseFittedSpec,
  serializeFittedSpec,
  type FittedSpec,
  type FittedColumn,
  type FittedLabel,
  type FittedIdEncoding,
  type FittedCategorical,
  type FittedNumeric,
  type FittedBucketized,
  type FittedCrossed,
  type FittedMultiValued,
  type FittedSequence,
} from './fitted-spec.js';
export { transform, type FeatureBatch, type SequenceBatch, type TransformOptions } from './transform.js';
export { rowsToChunk, type RowsToChunkOptions } from './rows.js';
export { inputColumns } from './checks.js';
export {
  specSizes,
  denseLayout,
  dataColumns,
  tableSize,
  autoEmbeddingDim,
  type SpecSizes,
  type EmbeddingSize,
  type SequenceSize,
  type DataColumn,
} from './sizes.js';
export { murmur3String, murmur3Bytes, murmur3Words, hashBucket } from './hash.js';
export { quantileNormalize, quantileBoundaries } from './stats.js';
