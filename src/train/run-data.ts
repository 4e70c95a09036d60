import { WideDeepError } from '../core/errors.js';
import { type BadRow, type ReadOptions, type ReadSummary, openTable } from '../data/index.js';
import { loadAdult } from '../data/datasets/adult.js';
import { loadCriteo } from '../data/datasets/criteo.js';
import { loadMovieLens100k } from '../data/datasets/movielens.js';
import { randomSplit } from '../data/splits.js';
import { syntheticData } from '../data/synthetic.js';
import type { RowChunk } from '../data/types.js';
import { type SpecColumns, stringColumns } from '../features/checks.js';
import type { DataConfig } from './run-config.js';
import { loadStreamSplit } from './stream-source.js';

/** Train and test rows of a run, with what identifies the data (for bundles and result files). */
export interface RunData {
  readonly train: RowChunk;
  readonly test: RowChunk;
  /** What identifies the data, the row counts, and the rows the reader skipped (`skippedRows.reader`). */
  readonly fingerprint: Record<string, unknown>;
  /** Column of user ids for per-user ranking metrics, when the data has users. */
  readonly userColumn: string | null;
  /**
   * When the data has users and times: the time column, and the column that breaks ties in time (the item),
   * ordering each user's rows as a per-user time split does (train.validationSplit: per-user-time).
   */
  readonly timeOrder: { readonly time: string; readonly tie: string } | null;
  /** What the reader read and skipped from each file (under data.onBadRow: 'skip'), for the run's log. */
  readonly reads?: readonly ReadSummary[];
}

/**
 * Loads the dataset of a run config and splits it into train and test. With data.stream, the rows are split
 * as stream mode splits them (a test file, or the row hash), though read into memory. `features` (the run's
 * features config, or a fitted spec) says which columns of your files are read as strings (`stringColumns`).
 */
export async function loadRunData(data: DataConfig, seed: number, features?: SpecColumns): Promise<RunData> {
  const noUsers = { userColumn: null, timeOrder: null };
  if (data.stream !== undefined) {
    // Stream mode holds test rows out by a hash of the row number: the same rows here.
    const s = await loadStreamSplit(data, seed, features);
    return { train: s.train, test: s.test, fingerprint: withSkips(s.fingerprint, s.reads), ...noUsers, reads: s.reads };
  }
  const dataDir = data.dataDir !== undefined ? { dataDir: data.dataDir } : {};
  switch (data.dataset) {
    case 'synthetic': {
      const all = syntheticData({ seed, ...data.synthetic }, { rows: data.rows });
      const { train, test } = randomSplit(all, { testFraction: data.testFraction, seed });
      return { train, test, fingerprint: { dataset: 'synthetic', seed, rows: data.rows, world: data.synthetic }, userColumn: 'user_id', timeOrder: { time: 'timestamp', tie: 'app_id' }, reads: [] };
    }
    case 'adult': {
      const a = await loadAdult({ ...dataDir, onBadRow: data.onBadRow });
      const reads = [a.summaries.train, a.summaries.test];
      return { train: a.train, test: a.test, fingerprint: withSkips({ dataset: 'adult', train: a.train.source, rows: [a.train.numRows, a.test.numRows] }, reads), ...noUsers, reads };
    }
    case 'movielens-100k': {
      const m = await loadMovieLens100k(dataDir);
      // The order of the dataset's own per-user test split: (timestamp, item_id).
      return { train: m.train, test: m.test, fingerprint: { dataset: 'movielens-100k', rows: [m.train.numRows, m.test.numRows] }, userColumn: 'user_id', timeOrder: { time: 'timestamp', tie: 'item_id' }, reads: [] };
    }
    case 'criteo': {
      const c = await loadCriteo({ ...dataDir, onBadRow: data.onBadRow });
      const { train, test } = randomSplit(c.data, { testFraction: data.testFraction, seed });
      return { train, test, fingerprint: withSkips({ dataset: 'criteo', source: c.data.source, rows: c.data.numRows }, [c.summary]), ...noUsers, reads: [c.summary] };
    }
    case 'files': {
      const read = async (f: NonNullable<DataConfig['train']>): Promise<{ rows: RowChunk; summary: ReadSummary }> => {
        const text = features !== undefined ? { stringColumns: stringColumns(features) } : {};
        const reader = await openTable({ ...f, onBadRow: data.onBadRow, ...text } as ReadOptions);
        return { rows: await reader.readAll(), summary: reader.summary };
      };
      const trainAll = await read(data.train as NonNullable<DataConfig['train']>);
      if (data.test) {
        const test = await read(data.test);
        const reads = [trainAll.summary, test.summary];
        return { train: trainAll.rows, test: test.rows, fingerprint: withSkips({ dataset: 'files', train: data.train?.path, test: data.test.path }, reads), ...noUsers, reads };
      }
      const { train, test } = randomSplit(trainAll.rows, { testFraction: data.testFraction, seed });
      return { train, test, fingerprint: withSkips({ dataset: 'files', train: data.train?.path }, [trainAll.summary]), ...noUsers, reads: [trainAll.summary] };
    }
  }
}

/**
 * Runs `read` on the data of a config that came from a bundle's manifest (`manifest`: its path). A file of it
 * that cannot be read is an IO error saying that the path came from the manifest, and how to score anyway:
 * `--input` for your files, `--data-dir` for a built-in dataset's directory.
 */
export async function withBundleDataHint<T>(data: DataConfig, manifest: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    const file = err instanceof WideDeepError && err.code === 'IO' ? err.details.file : undefined;
    if (file === undefined) throw err;
    const at = (['train', 'test'] as const).find((k) => data[k]?.path === file);
    const inDataDir = data.dataDir !== undefined && file.startsWith(data.dataDir);
    if (at === undefined && !inDataDir) throw err;
    const field = at !== undefined ? `data.${at}.path` : 'data.dataDir';
    const fix = at !== undefined ? 'pass --input <a labeled file> to score another file, or put the file back at that path' : 'pass --data-dir <the directory that holds the dataset>';
    throw new WideDeepError('IO', `${(err as WideDeepError).reason}; this path came from the bundle's manifest (${manifest}, ${field})`, { file, field, fix }, { cause: err });
  }
}

/** The fingerprint with the rows read and skipped per file (what a bundle's manifest records). */
function withSkips(fingerprint: Record<string, unknown>, reads: readonly ReadSummary[]): Record<string, unknown> {
  const skipped = reads.reduce((n, r) => n + r.rowsSkipped, 0);
  return { ...fingerprint, read: reads.map((r) => ({ file: r.source, rowsRead: r.rowsRead, rowsSkipped: r.rowsSkipped })), skippedRows: { reader: skipped } };
}

/**
 * One line per file whose reader skipped rows, as `predict` words it: "skipped 2 bad rows in a.csv (first: row
 * 7, field x: value "forty" in numeric column x is not a number; ...)"; null when no row was skipped.
 */
export function skippedLine(reads: readonly ReadSummary[]): string | null {
  const lines = reads.filter((r) => r.rowsSkipped > 0).map((r) => skippedText(r.source, r.rowsSkipped, r.badRows.map(badRowText)));
  return lines.length > 0 ? lines.join('\n') : null;
}

/** "skipped 2 bad rows in a.csv (first: <up to three examples>)", the one wording of skipped rows. */
export function skippedText(source: string, count: number, examples: readonly string[]): string {
  return `skipped ${count} bad row${count === 1 ? '' : 's'} in ${source} (first: ${examples.slice(0, 3).join('; ')})`;
}

/** One skipped row as the skipped line lists it: "row 7, field x: <reason>". */
export function badRowText(b: BadRow): string {
  return `row ${b.row}${b.field !== undefined ? `, field ${b.field}` : ''}: ${b.reason}`;
}
