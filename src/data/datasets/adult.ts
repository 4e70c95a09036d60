import type { ColumnKind, ColumnSchema, RowChunk } from '../types.js';
import type { BadRowPolicy, ReadOptions } from '../options.js';
import type { LabelSpec } from '../labels.js';
import type { ReadSummary } from '../source.js';
import { openTable } from '../reader.js';
import { checkKeys } from '../data-errors.js';
import { datasetFile, resolveDataDir, type DataDirOptions } from './data-dir.js';

/** Column names of TensorFlow's census (wide_deep) example, in file order. */
export const ADULT_COLUMNS = [
  'age',
  'workclass',
  'fnlwgt',
  'education',
  'education_num',
  'marital_status',
  'occupation',
  'relationship',
  'race',
  'gender',
  'capital_gain',
  'capital_loss',
  'hours_per_week',
  'native_country',
  'income_bracket',
] as const;

const NUMERIC = new Set(['age', 'fnlwgt', 'education_num', 'capital_gain', 'capital_loss', 'hours_per_week']);

export const ADULT_SCHEMA: readonly ColumnSchema[] = ADULT_COLUMNS.map((name) => ({ name, kind: NUMERIC.has(name) ? 'numeric' : 'categorical' }));

/** `>50K` (train) and `>50K.` (test) are positive, `<=50K` / `<=50K.` negative; anything else is an error. */
export const ADULT_LABEL: LabelSpec = {
  kind: 'binary',
  column: 'income_bracket',
  positive: { in: ['>50K', '>50K.'] },
  negative: { in: ['<=50K', '<=50K.'] },
};

export interface AdultOptions extends DataDirOptions {
  readonly chunkSize?: number;
  readonly onBadRow?: BadRowPolicy;
}

/**
 * Reader options for adult.data (train) or adult.test (test): no header, ', ' separators, '?' = missing, and
 * adult.test's first line (`|1x3 Cross validator`) skipped. Labels keep the file's text (test labels end in '.').
 */
export async function adultReadOptions(split: 'train' | 'test', options: AdultOptions = {}): Promise<ReadOptions> {
  checkKeys(options, ['dataDir', 'chunkSize', 'onBadRow'], 'adult');
  const dir = resolveDataDir(options.dataDir);
  const path = await datasetFile(dir, split === 'train' ? 'adult/adult.data' : 'adult/adult.test', 'adult');
  const columns = Object.fromEntries(ADULT_SCHEMA.map((c): [string, ColumnKind] => [c.name, c.kind]));
  return {
    path,
    format: 'csv',
    delimiter: ', ',
    header: false,
    columnNames: [...ADULT_COLUMNS],
    nullValues: ['?', ''],
    skipLines: split === 'test' ? 1 : 0,
    columns,
    ...(options.chunkSize !== undefined ? { chunkSize: options.chunkSize } : {}),
    ...(options.onBadRow !== undefined ? { onBadRow: options.onBadRow } : {}),
  };
}

export interface AdultData {
  readonly train: RowChunk;
  readonly test: RowChunk;
  readonly schema: readonly ColumnSchema[];
  readonly label: LabelSpec;
  readonly summaries: { readonly train: ReadSummary; readonly test: ReadSummary };
}

/** UCI Adult: 32,561 train and 16,281 test rows. */
export async function loadAdult(options: AdultOptions = {}): Promise<AdultData> {
  const trainReader = await openTable(await adultReadOptions('train', options));
  const train = await trainReader.readAll();
  const testReader = await openTable(await adultReadOptions('test', options));
  const test = await testReader.readAll();
  return { train, test, schema: ADULT_SCHEMA, label: ADULT_LABEL, summaries: { train: trainReader.summary, test: testReader.summary } };
}
