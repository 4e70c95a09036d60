#!/usr/bin/env node
// The CommonJS build of widedeep, for `require('widedeep')` on Node 20 (which cannot require() an ES module):
// every src/ file transpiled by TypeScript to CommonJS into dist-cjs/ (or the directory given as the first
// argument), with a package.json {"type": "commonjs"} there, and the declarations of the ESM build copied
// beside it. The one ESM-only construct in src/, `import.meta.url`, becomes the file's own URL from
// __filename; any other `import.meta` fails the build. Files find the package's own files by relative URLs
// (core/version.ts: ../../package.json), so the output sits at dist/'s depth: a folder of the repository
// root. Run by `npm run build` after `tsc`.
import { copyFileSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

const ROOT = resolve(new URL('..', import.meta.url).pathname);
const SRC = join(ROOT, 'src');
const OUT = resolve(process.argv[2] ?? join(ROOT, 'dist-cjs'));
if (dirname(OUT) !== ROOT) {
  process.stderr.write(`build-cjs: ${OUT} must be a folder of the repository root, at the depth of dist/\n`);
  process.exit(1);
}
const ESM_DIST = join(ROOT, 'dist');
const META_URL = "require('node:url').pathToFileURL(__filename).href";

/** The studio's browser page: bundled by scripts/build-studio.mjs, never required. */
const STUDIO_APP = join(SRC, 'studio', 'app');

function walk(dir, ext) {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? (p === OUT || p === STUDIO_APP ? [] : walk(p, ext)) : p.endsWith(ext) ? [p] : [];
  });
}

const problems = [];
for (const file of walk(SRC, '.ts')) {
  const rel = relative(SRC, file);
  const source = readFileSync(file, 'utf8').replaceAll('import.meta.url', META_URL);
  if (source.includes('import.meta')) problems.push(`${rel}: import.meta other than import.meta.url has no CommonJS form`);
  const { outputText, diagnostics } = ts.transpileModule(source, {
    fileName: file,
    reportDiagnostics: true,
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true, sourceMap: false },
  });
  for (const d of diagnostics ?? []) problems.push(`${rel}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
  const out = join(OUT, rel.replace(/\.ts$/, '.js'));
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, outputText);
}
if (problems.length > 0) {
  process.stderr.write(`build-cjs:\n${problems.join('\n')}\n`);
  process.exit(1);
}
writeFileSync(join(OUT, 'package.json'), `${JSON.stringify({ type: 'commonjs' })}\n`);
// The declarations of the ESM build (when built), so that `require` resolves typed (a .d.ts under this
// package.json describes a CommonJS module).
let declarations = 0;
for (const file of statSafe(ESM_DIST) ? walk(ESM_DIST, '.d.ts') : []) {
  const out = join(OUT, relative(ESM_DIST, file));
  mkdirSync(dirname(out), { recursive: true });
  copyFileSync(file, out);
  declarations += 1;
}
process.stdout.write(`build-cjs: ${relative(ROOT, OUT) || OUT} (${declarations} declaration files)\n`);

function statSafe(p) {
  try {
    return statSync(p).isDirectory();
  } catch (err) {
    if (err.code === 'ENOENT') return false;
    throw err;
  }
}
