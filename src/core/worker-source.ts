import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * How a worker thread loads one of our modules: the compiled .js is imported as it is; from the .ts sources
 * (tsx, vitest) through tsx's tsImport, since a worker thread does not inherit its parent's loader hooks on
 * Node 20. The worker's code is inline (`new Worker(code, { eval: true, workerData: { ...workerData } })`),
 * so there is no extra file to ship next to dist/. `from` is the caller's `import.meta.url`; `file` the
 * worker module's name beside it, without extension (`scan-worker`).
 */
export function workerSource(from: string, file: string): { code: string; workerData: { module: string; tsx: string | null } } {
  const self = fileURLToPath(from);
  const ts = self.endsWith('.ts');
  const module = pathToFileURL(self.replace(/[^/\\]+\.(ts|js)$/, `${file}.${ts ? 'ts' : 'js'}`)).href;
  // The ESM build of tsx's API (its package exports give `require` the .cjs next to it).
  const tsx = ts ? pathToFileURL(createRequire(from).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href : null;
  const code = [
    "const { workerData } = require('node:worker_threads');",
    'const { module, tsx } = workerData;',
    // A failure to load rejects unhandled: the worker dies with it and whoever waits on it hears why.
    'void (tsx === null ? import(module) : import(tsx).then((api) => api.tsImport(module, module)));',
  ].join('\n');
  return { code, workerData: { module, tsx } };
}
