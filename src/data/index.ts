export type { ColumnKind, ColumnSchema, ColumnValues, RowChunk } from './types.js';
export type { BadRowPolicy, ColumnOverride, FileFormat, ReadOptions } from './options.js';
export type { BadRow, ReadSummary } from './source.js';
export { openTable, readAll, readChunks, type ChunksOptions, type ReadResult, type TableReader } from './reader.js';
export {
  ChunkBuilder,
  chunkFromColumns,
  collect,
  columnKindOf,
  concatChunks,
  getColumn,
  numericColumn,
  rowObject,
  schemaOf,
  selectColumns,
  sliceRows,
  stringColumn,
  takeRows,
  valuesArray,
  type ChunkStream,
} from './chunk.js';
export { Utf8Values } from './utf8-values.js';
export { permutation, permuteChunk, rechunk, ReservoirSlots, shuffleBuffer, type ShuffleBufferOptions } from './shuffle.js';
export {
  fractionCount,
  isTestRow,
  perUserSplit,
  randomSplit,
  readTrainTestFiles,
  splitStream,
  timeSplit,
  userTimeOrder,
  userTimePositions,
  type PerUserSplitOptions,
  type TrainTest,
  type UserTimeColumns,
} from './splits.js';
export { fitLabel, labelChunk, type FittedLabel, type LabelRule, type LabelSpec, type LabeledChunk } from './labels.js';
export {
  createSyntheticWorld,
  DEFAULT_SYNTHETIC_CONFIG,
  SYNTHETIC_SCHEMA,
  syntheticChunks,
  syntheticData,
  type CountryCategoryBoost,
  type PlantedPair,
  type SyntheticConfig,
  type SyntheticRowsOptions,
  type SyntheticTruth,
  type SyntheticWorld,
} from './synthetic.js';
export { trueLogit } from './synthetic-world.js';
export { resolveDataDir, type DataDirOptions } from './datasets/data-dir.js';
export { ADULT_COLUMNS, ADULT_LABEL, ADULT_SCHEMA, adultReadOptions, loadAdult, type AdultData, type AdultOptions } from './datasets/adult.js';
export { CRITEO_COLUMNS, CRITEO_LABEL, CRITEO_SCHEMA, criteoReadOptions, loadCriteo, type CriteoOptions } from './datasets/criteo.js';
export { loadMovieLens100k, MOVIELENS_SCHEMA, userHistories, type MovieLensData, type MovieLensOptions } from './datasets/movielens.js';
export {
  DATASET_FILES,
  downloadVerified,
  fetchDataset,
  sha256OfFile,
  type DatasetFile,
  type DatasetName,
  type FetchedFile,
  type FetchOptions,
} from './datasets/fetch.js';
