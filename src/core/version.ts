import { readFileSync } from 'node:fs';

/**
 * The version of the widedeep package, read once from its package.json: two folders above this file in the
 * sources (src/core) and in the build (dist/core), and shipped with every install. One source, no copy to bump.
 */
export const VERSION: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
