#!/usr/bin/env node
// The page of `widedeep studio` (docs/STUDIO.md): src/studio/app/main.tsx and everything it imports (Preact,
// vega-embed with vega and vega-lite) bundled by esbuild into dist-studio/ (or the directory given as the
// first argument):
//
//   dist-studio/index.html   the page: loads app.css and app.js from /studio/
//   dist-studio/app.js       one minified ES module (+ app.js.LEGAL.txt, the bundled packages' licences)
//   dist-studio/app.css
//
// The page scores rows with widedeep/web, which it imports at run time from /web/widedeep-web.js (dist-web/,
// built by scripts/build-web.mjs) rather than bundling it again. The app imports only types from the
// server's modules; a value import of a Node built-in (a server module pulled in by mistake) fails the
// build, naming the importing file. Nothing in the output loads from the network: `npx widedeep studio`
// works offline. Run by `npm run build:studio` and `npm run build`.
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

const ROOT = resolve(new URL('..', import.meta.url).pathname);
const OUT = resolve(process.argv[2] ?? join(ROOT, 'dist-studio'));
const APP = join(ROOT, 'src/studio/app');
const require = createRequire(import.meta.url);
const esbuild = await import(require.resolve('esbuild'));

const FORBIDDEN = /^(node:|onnxruntime-node$|@duckdb\/|fastify)|^(fs|path|os|crypto|url|module|worker_threads|child_process|util|stream)(\/|$)/;
const browserOnly = {
  name: 'studio-browser-only',
  setup(build) {
    build.onResolve({ filter: /.*/ }, (args) => {
      if (FORBIDDEN.test(args.path)) return { errors: [{ text: `${args.importer} imports ${args.path}, which the studio's page cannot use (import types only from the server's modules)` }] };
      return undefined;
    });
  },
};

mkdirSync(OUT, { recursive: true });
await esbuild.build({
  entryPoints: [join(APP, 'main.tsx')],
  outfile: join(OUT, 'app.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  jsx: 'automatic',
  jsxImportSource: 'preact',
  legalComments: 'linked',
  define: { 'process.env.NODE_ENV': '"production"' },
  plugins: [browserOnly],
  logLevel: 'warning',
});
copyFileSync(join(APP, 'app.css'), join(OUT, 'app.css'));
writeFileSync(
  join(OUT, 'index.html'),
  `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>widedeep studio</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/studio/app.css">
</head>
<body>
<div id="app"></div>
<script type="module" src="/studio/app.js"></script>
</body>
</html>
`,
);
process.stdout.write(`build-studio: ${OUT}/index.html\n`);
