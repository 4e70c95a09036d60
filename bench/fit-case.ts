/**
 * The end-to-end fit benchmark of issue 4: one `widedeep fit` per process, one JSON line on stdout.
 *
 *   npx tsx bench/fit-case.ts --dataset adult|movielens [--objective binary|rating] [--seed 42] [--data-dir DIR]
 *
 * Runs the CLI's own `fit` (src/cli/main.ts, as `npx widedeep fit --config examples/<config>.yaml --json
 * --seed S --data-dir DIR --out <temp dir>`) in this process, reads its JSON lines and prints:
 * `samples_per_s`, training rows/s over every epoch (the refit's too), as `bench/torch_fit.py`'s `rows_per_s`
 * counts them; `test_auc` (and `test_accuracy`, `test_ndcg@10` where there are any); `wall_s` (config to
 * final line); `peak_rss_mb` of this process; `epochs` and `refit`. The bundle and checkpoints go to a temp
 * dir, deleted at the end. Without the dataset under the data dir it prints `{"skipped": why}`.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { main } from '../src/cli/main.js';
import { resolveDataDir } from '../src/data/index.js';

const ROOT = resolve(import.meta.dirname, '..');
const CONFIGS: Record<string, { binary: string; rating?: string; file: string }> = {
  adult: { binary: 'examples/adult.yaml', file: 'adult/adult.data' },
  movielens: { binary: 'examples/movielens.yaml', rating: 'examples/movielens-rating.yaml', file: 'ml-100k/u.data' },
};

type Line = Record<string, unknown>;

async function fitLines(args: string[]): Promise<Line[]> {
  let text = '';
  const write = process.stdout.write.bind(process.stdout);
  // The CLI prints its JSON lines on stdout; they are collected here, and this script prints one line of its own.
  process.stdout.write = ((chunk: string | Uint8Array): boolean => {
    text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  }) as typeof process.stdout.write;
  let code: number;
  try {
    code = await main(['fit', ...args]);
  } finally {
    process.stdout.write = write;
  }
  if (code !== 0) throw new Error(`widedeep fit ${args.join(' ')} exited with ${code}`);
  return text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Line);
}

async function run(): Promise<Line> {
  const { values } = parseArgs({
    options: {
      dataset: { type: 'string' },
      objective: { type: 'string', default: 'binary' },
      seed: { type: 'string', default: '42' },
      'data-dir': { type: 'string' },
    },
  });
  const setup = CONFIGS[values.dataset ?? ''];
  if (!setup) throw new Error(`--dataset must be one of ${Object.keys(CONFIGS).join(', ')}`);
  const config = values.objective === 'rating' ? setup.rating : values.objective === 'binary' ? setup.binary : undefined;
  if (!config) throw new Error(`--objective ${values.objective} is not a setup of ${values.dataset}`);
  const dataDir = resolveDataDir(values['data-dir']);
  if (!existsSync(join(dataDir, setup.file))) return { skipped: `no ${setup.file} under ${dataDir} (set WIDEDEEP_DATA_DIR or --data-dir)` };
  const out = mkdtempSync(join(tmpdir(), 'widedeep-fit-case-'));
  try {
    const t0 = performance.now();
    const lines = await fitLines(['--config', resolve(ROOT, config), '--json', '--seed', values.seed as string, '--data-dir', dataDir, '--out', out]);
    const wall = (performance.now() - t0) / 1000;
    const epochs = lines.filter((l) => l.event === 'epoch') as { rowsPerSec: number; seconds: number }[];
    const final = lines.find((l) => l.event === 'final') as { test: Record<string, number>; refit: unknown; best: unknown } | undefined;
    if (!final) throw new Error('widedeep fit printed no final line');
    const seconds = epochs.reduce((s, e) => s + e.seconds, 0);
    const rows = epochs.reduce((s, e) => s + e.rowsPerSec * e.seconds, 0);
    const t = final.test;
    return {
      engine: 'widedeep',
      dataset: values.dataset,
      objective: values.objective,
      config,
      seed: Number(values.seed),
      samples_per_s: rows / seconds,
      train_s: seconds,
      epochs: epochs.length,
      refit: final.refit,
      test_auc: t.auc ?? null,
      test_accuracy: t.accuracy ?? null,
      ...(t['ndcg@10'] !== undefined ? { 'test_ndcg@10': t['ndcg@10'], 'test_hitRate@10': t['hitRate@10'] } : {}),
      wall_s: wall,
      peak_rss_mb: process.resourceUsage().maxRSS / 1024,
      node: process.version,
    };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

process.stdout.write(`${JSON.stringify(await run())}\n`);
process.exit(0);
