import type { ColumnKind, ColumnSchema, RowChunk } from '../types.js';
import type { BadRowPolicy, ReadOptions } from '../options.js';
import type { LabelSpec } from '../labels.js';
import type { ReadSummary } from '../source.js';
import { openTable } from '../reader.js';
import { checkKeys } from '../data-errors.js';
import { datasetFile, resolveDataDir, type DataDirOptions } from './data-dir.js';

const INTS = Array.from({ length: 13 }, (_, i) => `I${i + 1}`);
const CATS = Array.from({ length: 26 }, (_, i) => `C${i + 1}`);

/** label, I1..I13 (integer counts, numeric), C1..C26 (32-bit hashes as 8 hex characters, categorical). */
export const CRITEO_COLUMNS: readonly string[] = ['label', ...INTS, ...CATS];

export const CRITEO_SCHEMA: readonly ColumnSchema[] = CRITEO_COLUMNS.map((name) => ({ name, kind: name.startsWith('C') ? 'categorical' : 'numeric' }));

export const CRITEO_LABEL: LabelSpec = { kind: 'binary', column: 'label', positive: { in: [1] }, negative: { in: [0] } };

export interface CriteoOptions extends DataDirOptions {
  /** A file in the raw Criteo layout (TAB, no header, 40 fields), e.g. dac_sample.txt or day_0. Default: criteo/train.tiny.txt in the data folder. */
  readonly path?: string;
  readonly chunkSize?: number;
  readonly onBadRow?: BadRowPolicy;
}

/** Reader options for the raw Criteo layout; an empty field is missing (NaN / null). */
export async function criteoReadOptions(options: CriteoOptions = {}): Promise<ReadOptions> {
  checkKeys(options, ['dataDir', 'path', 'chunkSize', 'onBadRow'], 'criteo');
  const path = options.path ?? (await datasetFile(resolveDataDir(options.dataDir), 'criteo/train.tiny.txt', 'criteo'));
  return {
    path,
    format: 'csv',
    delimiter: '\t',
    header: false,
    quote: '',
    columnNames: [...CRITEO_COLUMNS],
    columns: Object.fromEntries(CRITEO_SCHEMA.map((c): [string, ColumnKind] => [c.name, c.kind])),
    ...(options.chunkSize !== undefined ? { chunkSize: options.chunkSize } : {}),
    ...(options.onBadRow !== undefined ? { onBadRow: options.onBadRow } : {}),
  };
}

/** The 1,999-row Criteo sample (or another file in the same layout, read whole). */
export async function loadCriteo(options: CriteoOptions = {}): Promise<{ data: RowChunk; schema: readonly ColumnSchema[]; label: LabelSpec; summary: ReadSummary }> {
  const reader = await openTable(await criteoReadOptions(options));
  const data = await reader.readAll();
  return { data, schema: CRITEO_SCHEMA, label: CRITEO_LABEL, summary: reader.summary };
}
