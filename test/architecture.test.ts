import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve, dirname } from 'node:path';
import { describe, expect, it } from 'vitest';

// The import direction between src/ folders (docs/ARCHITECTURE.md), checked mechanically.
const ALLOWED: Record<string, readonly string[]> = {
  core: [],
  graph: ['core'],
  runtime: ['core', 'graph'],
  sparse: ['core'],
  data: ['core'],
  features: ['core', 'data'],
  metrics: ['core'],
  model: ['core', 'graph', 'runtime', 'sparse', 'data', 'features', 'metrics'],
  train: ['core', 'graph', 'runtime', 'sparse', 'data', 'features', 'metrics', 'model'],
  artifact: ['core', 'graph', 'runtime', 'sparse', 'data', 'features', 'metrics', 'model'],
  experiments: ['core', 'graph', 'runtime', 'sparse', 'data', 'features', 'metrics', 'model', 'train', 'artifact'],
  serve: ['core', 'graph', 'runtime', 'sparse', 'data', 'features', 'metrics', 'model', 'artifact'],
  web: ['core', 'graph', 'runtime', 'sparse', 'data', 'features', 'metrics', 'model', 'artifact', 'serve'],
  report: ['core', 'graph', 'runtime', 'sparse', 'data', 'features', 'metrics', 'model', 'train', 'artifact', 'experiments'],
  score: ['core', 'graph', 'runtime', 'sparse', 'data', 'features', 'metrics', 'model', 'artifact', 'serve'],
  stream: ['core', 'graph', 'runtime', 'sparse', 'data', 'features', 'metrics', 'model', 'train', 'artifact'],
  scale: ['core', 'graph', 'runtime', 'sparse', 'data', 'features', 'metrics', 'model', 'train', 'artifact', 'experiments', 'serve', 'score'],
  studio: ['core', 'graph', 'runtime', 'sparse', 'data', 'features', 'metrics', 'model', 'train', 'artifact', 'experiments', 'report', 'serve', 'web'],
  cli: ['core', 'graph', 'runtime', 'sparse', 'data', 'features', 'metrics', 'model', 'train', 'artifact', 'experiments', 'serve', 'report', 'score', 'stream', 'scale', 'studio'],
  '.': ['core', 'graph', 'runtime', 'sparse', 'data', 'features', 'metrics', 'model', 'train', 'artifact', 'experiments', 'serve', 'report', 'score', 'stream', 'scale', 'studio'],
};

const SRC = resolve(import.meta.dirname, '../src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : /\.tsx?$/.test(p) ? [p] : [];
  });
}

function layerOf(src: string, file: string): string {
  const rel = relative(src, file);
  return rel.includes('/') ? (rel.split('/')[0] as string) : '.';
}

function violations(src: string): string[] {
  const out: string[] = [];
  for (const file of files(src)) {
    const from = layerOf(src, file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)'/g)) {
      const target = resolve(dirname(file), m[1] as string);
      const to = layerOf(src, target);
      if (to === from) continue;
      const allowed = ALLOWED[from];
      if (!allowed) out.push(`${relative(src, file)}: folder ${from} has no rule in ALLOWED`);
      else if (!allowed.includes(to)) out.push(`${relative(src, file)} imports ${to}/ (${m[1]}), which ${from}/ may not`);
    }
  }
  return out;
}

describe('architecture', () => {
  it('imports point down the layer list only', () => {
    expect(violations(SRC)).toEqual([]);
  });
  it('the checker catches an upward import and an unknown folder', () => {
    const src = mkdtempSync(join(tmpdir(), 'wd-arch-'));
    for (const d of ['graph', 'train', 'extras']) mkdirSync(join(src, d));
    writeFileSync(join(src, 'graph/a.ts'), "import { fit } from '../train/fit.js';\n");
    writeFileSync(join(src, 'train/fit.ts'), "export const fit = 1;\n");
    writeFileSync(join(src, 'extras/x.ts'), "import { a } from '../graph/a.js';\n");
    const v = violations(src);
    expect(v).toHaveLength(2);
    expect(v.join("\n")).toMatch(/graph\/a\.ts imports train/);
    expect(v.join("\n")).toMatch(/folder extras has no rule/);
  });
});
