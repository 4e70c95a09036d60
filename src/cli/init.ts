import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { WideDeepError } from '../core/errors.js';
import type { ReadOptions } from '../data/options.js';
import { profileTable } from '../data/profile.js';
import { initConfig } from '../train/init-config.js';
import { flags, intFlag, log, makeDirOf, required } from './args.js';
import { EXAMPLES_DIR } from './demo.js';
import { INIT_OPTIONS } from './options/init.js';

/** A data path as the config should name it: relative when the config sits in the current directory, else absolute. */
function configPath(path: string, configDir: string): string {
  const abs = resolve(path);
  return configDir === process.cwd() && !isAbsolute(path) ? relative(configDir, abs) : abs;
}

/**
 * `widedeep init --data my.csv --label clicked [--out config.yaml]`: profiles the file through the reader
 * (DuckDB) and writes a commented run config (src/train/init-config.ts says what each rule is).
 */
export async function init(argv: string[]): Promise<number> {
  const { values } = flags('init', argv, INIT_OPTIONS);
  const data = required('init', values.data, 'data');
  const label = required('init', values.label, 'label');
  const out = resolve(values.out ?? 'config.yaml');
  if (existsSync(out) && !values.force) {
    throw new WideDeepError('CONFIG', `${out} exists`, { file: out, fix: 'pass another --out, or --force to overwrite it' });
  }
  const list = (s: string | undefined): string[] | undefined => (s === undefined ? undefined : s.split(','));
  const skipLines = intFlag(values['skip-lines'], 'skip-lines');
  const reader = {
    ...(values.delimiter !== undefined ? { delimiter: values.delimiter } : {}),
    ...(values['no-header'] ? { header: false } : {}),
    ...(values['column-names'] !== undefined ? { columnNames: list(values['column-names']) } : {}),
    ...(values['null-values'] !== undefined ? { nullValues: list(values['null-values']) } : {}),
    ...(skipLines !== undefined ? { skipLines } : {}),
  };
  const { profile, rows } = await profileTable({ path: data, ...reader } as ReadOptions);
  const dir = dirname(out);
  const text = initConfig(profile, rows, {
    label,
    train: { path: configPath(data, dir), ...reader },
    ...(values.test !== undefined ? { test: { path: configPath(values.test, dir), ...reader } } : {}),
    schema: relative(dir, resolve(EXAMPLES_DIR, '../schema/widedeep-config.schema.json')),
  });
  await makeDirOf(out);
  await writeFile(out, text);
  log(`wrote ${out} (${profile.columns.length} columns of ${profile.rows} rows profiled); train it with: widedeep fit --config ${relative(process.cwd(), out).startsWith('..') ? out : relative(process.cwd(), out)}`);
  return 0;
}
