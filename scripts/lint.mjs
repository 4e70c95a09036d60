#!/usr/bin/env node
// House rules that the type checker does not see (docs/ARCHITECTURE.md, ../shared/guides/style.md):
// kebab-case file names, named exports only, `.js` extensions on relative imports, no console.log in the
// library (the CLI prints through its own helpers), no empty catch blocks, and a line budget per file.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = new URL('..', import.meta.url).pathname;
const MAX_LINES = 400;
const problems = [];

function walk(dir) {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : /\.tsx?$/.test(p) ? [p] : [];
  });
}

for (const file of [...walk(join(ROOT, 'src')), ...walk(join(ROOT, 'test')), ...walk(join(ROOT, 'bench'))]) {
  const rel = relative(ROOT, file);
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n');
  const name = rel.split('/').pop();
  if (!/^[a-z0-9]+(-[a-z0-9]+)*(\.test)?\.tsx?$/.test(name) && !name.startsWith('_')) problems.push(`${rel}: file names are kebab-case`);
  lines.forEach((line, i) => {
    const at = `${rel}:${i + 1}`;
    if (/^export default /.test(line)) problems.push(`${at}: use named exports`);
    const m = line.match(/from '(\.{1,2}\/[^']+)'/);
    if (m && !m[1].endsWith('.js')) problems.push(`${at}: relative import ${m[1]} needs a .js extension`);
    if (rel.startsWith('src/') && /console\.log\(/.test(line)) problems.push(`${at}: no console.log in the library (take a logger or write to a stream)`);
    if (/catch\s*(\([^)]*\))?\s*\{\s*\}/.test(line)) problems.push(`${at}: empty catch block`);
  });
  if (rel.startsWith('src/') && lines.length > MAX_LINES) problems.push(`${rel}: ${lines.length} lines, over the ${MAX_LINES}-line budget: split it along a responsibility`);
}

if (problems.length > 0) {
  process.stderr.write(`${problems.join('\n')}\n${problems.length} problem(s)\n`);
  process.exit(1);
}
process.stdout.write('lint: no problems\n');
