import { stat } from 'node:fs/promises';
import type { BadRowPolicy, ColumnKind, FileFormat } from '../data/index.js';
import type { ParquetRange, RangeInput, ScoreRangeJob, TextRange } from './range-job.js';
import { join } from 'node:path';
import { readBundle } from '../artifact/bundle.js';
import { openTable } from '../data/index.js';
import { queryRows, sqlString, withConnection } from '../data/duckdb.js';
import { detectDelimiter, readHeadText, splitRecords } from '../data/text-head.js';
import { stringColumns } from '../features/checks.js';
import { outputsOf } from '../model/sizes.js';
import { checkKeep, outputColumns } from './columns.js';
import { cutTextFile } from './text-cuts.js';

/** What `planScore` needs: the run's inputs and how to cut them. */
export interface PlanOptions {
  /** Absolute paths (queue workers resolve nothing against their own directory). */
  readonly model: string;
  readonly input: string;
  readonly keep: readonly string[];
  readonly onBadRow?: BadRowPolicy;
  readonly batchSize: number;
  /** About this many ranges; default: ranges of about `rangeBytes`. */
  readonly ranges?: number;
  /** Bytes of input per range (text: bytes of the file; Parquet: compressed bytes of row groups). */
  readonly rangeBytes: number;
  /** Where the part files go, and the range copies (one directory of the run, removed after it). */
  readonly workDir: string;
  readonly threads?: number;
  readonly memoryMb?: number;
  readonly duckdbThreads?: number;
}

export interface ScorePlan {
  readonly jobs: ScoreRangeJob[];
  readonly format: FileFormat;
  readonly bytes: number;
  /** Data rows of the input: Parquet's metadata, else the records after the head (blank lines included). */
  readonly rows: number;
  readonly columns: readonly string[];
}

/**
 * Plans a scoring run: reads the bundle's spec and the input's schema (as `predict` would read the file: the
 * spec's string columns, kinds inferred once for the whole file), checks --keep, and cuts the input into
 * ranges: Parquet by row groups (DuckDB's `parquet_metadata`), text at record starts (one streaming pass).
 * Compressed text is one range (a byte offset into it means nothing).
 */
export async function planScore(o: PlanOptions): Promise<ScorePlan> {
  const bundle = await readBundle(o.model);
  const strings = stringColumns(bundle.spec);
  const reader = await openTable({ path: o.input, chunkSize: o.batchSize, onBadRow: o.onBadRow ?? 'error', stringColumns: strings });
  const kinds: Record<string, ColumnKind> = Object.fromEntries(reader.schema.map((c) => [c.name, c.kind]));
  const outputs = outputColumns(bundle.spec, outputsOf(bundle.sizes));
  checkKeep(o.keep, reader.schema.map((c) => c.name), outputs, o.input);
  const input: RangeInput = { path: o.input, format: reader.format, kinds, stringColumns: strings };
  const bytes = (await stat(o.input)).size;
  const cut = reader.format === 'parquet' ? await parquetRanges(o.input, o) : await textRanges(o.input, reader.format, bytes, o);
  const jobs = cut.ranges.map(
    (range, index): ScoreRangeJob => ({
      version: 1,
      index,
      model: o.model,
      ...(o.threads !== undefined ? { threads: o.threads } : {}),
      input,
      range,
      part: join(o.workDir, `part-${String(index).padStart(6, '0')}.parquet`),
      tempDir: o.workDir,
      keep: o.keep,
      ...(o.onBadRow !== undefined ? { onBadRow: o.onBadRow } : {}),
      batchSize: o.batchSize,
      ...(o.memoryMb !== undefined ? { memoryMb: o.memoryMb } : {}),
      ...(o.duckdbThreads !== undefined ? { duckdbThreads: o.duckdbThreads } : {}),
    }),
  );
  return { jobs, format: reader.format, bytes, rows: cut.rows, columns: ['row_id', ...outputs, ...o.keep] };
}

/** Range size: `ranges` of the data bytes when given, else `rangeBytes`. */
const rangeSize = (dataBytes: number, o: PlanOptions): number => (o.ranges !== undefined ? Math.max(1, Math.ceil(dataBytes / o.ranges)) : o.rangeBytes);

async function textRanges(path: string, format: FileFormat, bytes: number, o: PlanOptions): Promise<{ ranges: TextRange[]; rows: number }> {
  const csv = format === 'csv';
  const headRecords = csv ? 1 : 0;
  if (/\.(gz|zst|bz2|xz)$/i.test(path)) {
    // One range, read in place: its row count is not known before the read.
    return { ranges: [{ kind: 'bytes', headBytes: 0, start: 0, end: bytes, firstRecord: headRecords + 1, dataFirstRecord: headRecords + 1, rowsBefore: 0 }], rows: 0 };
  }
  const dialect = csv ? { quote: '"', escape: '"', delimiter: await csvDelimiter(path) } : { quote: '', escape: '', delimiter: '\u001f' };
  // The head is small: the range size is measured on the whole file.
  const cuts = await cutTextFile(path, { ...dialect, headRecords, rangeBytes: rangeSize(bytes, o), alignRows: o.batchSize });
  const ranges = cuts.ranges.map((r): TextRange => ({ kind: 'bytes', headBytes: cuts.headBytes, ...r, dataFirstRecord: cuts.dataFirstRecord }));
  return { ranges, rows: Math.max(0, cuts.records - headRecords) };
}

/** The delimiter the reader uses for `predict`'s options (none given): by extension, else detected in the head. */
async function csvDelimiter(path: string): Promise<string> {
  const p = path.toLowerCase();
  if (p.endsWith('.csv')) return ',';
  if (p.endsWith('.tsv') || p.endsWith('.tab')) return '\t';
  const head = await readHeadText(path, 'utf-8');
  return detectDelimiter(splitRecords(head.text, '"', '"', 21, head.complete), '"', '"') ?? ',';
}

/**
 * Parquet ranges: row groups taken in order until a range has about its share of the compressed bytes, cut at
 * the group's end rounded down to a multiple of the batch size (DuckDB's default row group, 122,880 rows, is
 * one: 120 x 1024), so that every range starts on one of `predict`'s batch boundaries.
 */
async function parquetRanges(path: string, o: PlanOptions): Promise<{ ranges: ParquetRange[]; rows: number }> {
  const groups = await withConnection((con) =>
    queryRows(con, `SELECT row_group_id AS g, any_value(row_group_num_rows) AS n, sum(total_compressed_size) AS b FROM parquet_metadata(${sqlString(path)}) GROUP BY 1 ORDER BY 1`),
  );
  const total = groups.reduce((a, r) => a + Number(r['b']), 0);
  const size = rangeSize(total, o);
  const cuts = [0];
  let row = 0;
  let bytes = 0;
  const ends: number[] = []; // first row after each group
  for (const r of groups) {
    row += Number(r['n']);
    bytes += Number(r['b']);
    ends.push(row);
    const cut = Math.floor(row / o.batchSize) * o.batchSize;
    if (bytes >= size && cut > (cuts.at(-1) as number)) {
      cuts.push(cut);
      bytes = 0;
    }
  }
  if ((cuts.at(-1) as number) < row || cuts.length === 1) cuts.push(row);
  const groupOf = (r: number): number => ends.findIndex((e) => e > r);
  const ranges = cuts.slice(1).map((end, k): ParquetRange => {
    const firstRow = cuts[k] as number;
    const firstGroup = Math.max(0, groupOf(firstRow));
    const lastGroup = end > firstRow ? groupOf(end - 1) : firstGroup;
    return { kind: 'row-groups', firstGroup, groups: lastGroup - firstGroup + 1, firstRow, rows: end - firstRow };
  });
  return { ranges, rows: row };
}
