import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Issue 16: `require('widedeep')` works on Node 20, which cannot require() an ES module: the package's
// `require` condition names a CommonJS build (scripts/build-cjs.mjs). Built here into a fresh folder, so that
// the test never runs a stale dist-cjs/.
const ROOT = resolve(import.meta.dirname, '..');
const run = promisify(execFile);

describe('require(widedeep): the CommonJS build', () => {
  let out: string;
  beforeAll(async () => {
    // At the depth of dist/ (files find package.json by relative URL), and under the root for node_modules.
    out = mkdtempSync(join(ROOT, '.tmp-cjs-'));
    await run(process.execPath, [join(ROOT, 'scripts/build-cjs.mjs'), out], { cwd: ROOT });
  }, 120_000);
  afterAll(() => {
    if (out) rmSync(out, { recursive: true, force: true });
  });

  it('the package maps `require` to the folder the build writes', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, { require?: { default: string } }>; scripts: { build: string } };
    expect(pkg.exports['.']?.require?.default).toBe('./dist-cjs/index.js');
    expect(pkg.scripts.build).toContain('scripts/build-cjs.mjs');
    expect(JSON.parse(readFileSync(join(out, 'package.json'), 'utf8'))).toEqual({ type: 'commonjs' });
  });

  it('is required by plain CommonJS, reads a CSV through DuckDB, trains, and scores rows', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wd-cjs-'));
    const csv = join(dir, 'clicks.csv');
    writeFileSync(csv, ['device,x,y', ...Array.from({ length: 600 }, (_, i) => `${['a', 'b', 'c'][i % 3]},${i % 10},${i % 3 === 0 ? 1 : 0}`)].join('\n'));
    const script = `
      const w = require(${JSON.stringify(join(out, 'index.js'))});
      (async () => {
        const read = await w.readAll({ path: ${JSON.stringify(csv)} });
        const config = w.parseRunConfig({
          data: { dataset: 'files', train: { path: ${JSON.stringify(csv)} } },
          features: { columns: [{ type: 'categorical', name: 'device' }, { type: 'numeric', name: 'x', normalize: 'standardize' }], label: { kind: 'binary', column: 'y' } },
          model: { deep: { type: 'mlp', hidden: [4] } },
          train: { epochs: 1, batchSize: 64 },
        });
        const outcome = await w.fitRun(config);
        const scored = await w.predictRows(outcome.model, outcome.spec, [{ device: 'a', x: 1, extra: 0 }]);
        await outcome.model.release();
        process.stdout.write(JSON.stringify({ rows: read.data.numRows, auc: outcome.test.auc, scored }));
      })().catch((e) => { process.stderr.write(String(e && e.stack)); process.exit(1); });`;
    const { stdout } = await run(process.execPath, ['-e', script], { cwd: dir });
    const r = JSON.parse(stdout) as { rows: number; auc: number; scored: { predictions: number[]; ignoredColumns: string[] } };
    expect(r.rows).toBe(600);
    expect(Number.isFinite(r.auc)).toBe(true);
    expect(r.scored.predictions).toHaveLength(1);
    expect(r.scored.ignoredColumns).toEqual(['extra']);
  }, 120_000);
});
