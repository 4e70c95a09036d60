import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { WideDeepError } from '../../core/errors.js';

/** Options every dataset helper takes. */
export interface DataDirOptions {
  /** Folder holding `adult/`, `ml-100k/`, `criteo/`. Default: env WIDEDEEP_DATA_DIR, else `../shared/data` from the current directory. */
  readonly dataDir?: string;
}

/** The data folder: the option, else env WIDEDEEP_DATA_DIR, else `../shared/data` resolved against process.cwd(). */
export function resolveDataDir(dataDir?: string): string {
  const fromEnv = process.env['WIDEDEEP_DATA_DIR'];
  return resolve(dataDir ?? (fromEnv !== undefined && fromEnv !== '' ? fromEnv : resolve(process.cwd(), '../shared/data')));
}

/** The path of a dataset file, or an IO error saying how to get it. */
export async function datasetFile(dataDir: string, relative: string, dataset: string): Promise<string> {
  const path = join(dataDir, relative);
  const ok = await stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
  if (!ok) {
    throw new WideDeepError('IO', `${dataset} file not found`, {
      file: path,
      fix: `download it with fetchDataset('${dataset}', '${dataDir}'), or point dataDir / WIDEDEEP_DATA_DIR at a folder that has ${relative}`,
    });
  }
  return path;
}
