#!/usr/bin/env node
// The browser build of widedeep (`widedeep/web`, docs/WEB.md): src/web/index.ts and everything it imports
// bundled by esbuild into one ES module, dist-web/widedeep-web.js (or into the directory given as the first
// argument), with onnxruntime-web's wasm backend (SIMD, threads) copied beside it:
//
//   dist-web/widedeep-web.js            our code, zod, onnx-proto and onnxruntime-web's wasm loader (+ .map)
//   dist-web/ort-wasm-simd-threaded.mjs onnxruntime-web's Emscripten glue (also its worker script for threads)
//   dist-web/ort-wasm-simd-threaded.wasm
//
// onnxruntime-web finds the two ort-* files next to widedeep-web.js (its import.meta.url), or where
// `loadBundle(url, { wasmPaths })` says. Two Node-only modules on the model's import path are replaced, as a
// package.json "browser" field would: src/runtime/default.ts (which picks onnxruntime-node) by the web
// executor, and src/sparse/lanes.ts (sparse worker threads, node:worker_threads) by a stub that refuses
// sparseWorkers, an option the browser entry never sets. Any other import of a Node built-in, onnxruntime-node
// or DuckDB fails the build: the browser bundle uses no Node API. Run by `npm run build:web`.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';

const ROOT = resolve(new URL('..', import.meta.url).pathname);
const OUT = resolve(process.argv[2] ?? join(ROOT, 'dist-web'));
const require = createRequire(import.meta.url);
const esbuild = await import(require.resolve('esbuild'));

const SRC = join(ROOT, 'src');
/** Node-only modules of the model's import path and their browser stand-ins (source text). */
const REPLACED = new Map([
  [join(SRC, 'runtime/default.ts'), "import { webExecutor } from './web.js';\nexport async function defaultExecutor() { return webExecutor; }\n"],
  [
    join(SRC, 'sparse/lanes.ts'),
    [
      "import { WideDeepError } from '../core/errors.js';",
      'export const MAX_SPARSE_WORKERS = 0;',
      'export class SparseLanes {',
      "  static async start() { throw new WideDeepError('CONFIG', 'sparse workers need Node worker threads; the browser build has none', { field: 'sparseWorkers', fix: 'leave sparseWorkers unset' }); }",
      '}',
      '',
    ].join('\n'),
  ],
]);
const FORBIDDEN = /^(node:|onnxruntime-node$|@duckdb\/)|^(fs|path|os|crypto|url|module|worker_threads|child_process|util|stream)(\/|$)/;

/** Replaces the Node-only modules and refuses any other Node import, naming the file that asked for it. */
const browserOnly = {
  name: 'widedeep-browser-only',
  setup(build) {
    build.onResolve({ filter: /.*/ }, (args) => {
      if (FORBIDDEN.test(args.path)) return { errors: [{ text: `${args.importer} imports ${args.path}, which a browser does not have` }] };
      return undefined;
    });
    build.onLoad({ filter: /\.ts$/ }, (args) => {
      const replaced = REPLACED.get(args.path);
      if (replaced !== undefined) return { contents: replaced, loader: 'ts', resolveDir: dirname(args.path) };
      if (!args.path.startsWith(SRC)) return undefined;
      // `import { z } from 'zod'` binds zod's namespace object whole, which esbuild cannot shake: every locale
      // comes along (454 kB minified). `import * as z` is the same namespace, and esbuild keeps only what is
      // used (75 kB for a one-schema module).
      const text = readFileSync(args.path, 'utf8');
      const contents = text.replace(/^import \{ z \} from 'zod';$/m, "import * as z from 'zod';");
      return contents === text ? undefined : { contents, loader: 'ts', resolveDir: dirname(args.path) };
    });
  },
};

const result = await esbuild.build({
  entryPoints: [join(SRC, 'web/index.ts')],
  outfile: join(OUT, 'widedeep-web.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  sourcemap: true,
  legalComments: 'linked',
  // The wasm backend only (no WebGL/WebGPU), with its Emscripten glue as a file beside the bundle.
  alias: { 'onnxruntime-web': 'onnxruntime-web/wasm' },
  conditions: ['onnxruntime-web-use-extern-wasm'],
  plugins: [browserOnly],
  metafile: true,
  logLevel: 'warning',
});

mkdirSync(OUT, { recursive: true });
const ortDist = dirname(require.resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm'));
for (const f of ['ort-wasm-simd-threaded.wasm', 'ort-wasm-simd-threaded.mjs']) copyFileSync(join(ortDist, f), join(OUT, f));
writeFileSync(join(OUT, 'meta.json'), JSON.stringify(result.metafile));
process.stdout.write(`build-web: ${OUT}/widedeep-web.js\n`);
