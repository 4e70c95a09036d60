import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FIXTURE, expected } from '../helpers/bundle-fixture.js';
import { ROOT, cliArgs, cliFile } from '../helpers/cli-process.js';

/**
 * What a `widedeep` process loads: src/cli/main.ts holds the command table with light option tables
 * (src/cli/options/) and imports a command's module only when that command runs, so `--help` or `inspect`
 * never load DuckDB, Fastify, BullMQ, KafkaJS or nats (each CLI child of the tests spent ~1.2 s of CPU on
 * them). A resolve hook, registered with --import before the CLI starts, writes down every module URL the
 * child resolves.
 */

/** Packages a process that does not need them must not load (the heavy ones of the other commands). */
const HEAVY = ['onnxruntime-node', '@duckdb/node-api', 'fastify', 'bullmq', 'ioredis', 'kafkajs', '@nats-io/transport-node', '@nats-io/jetstream', 'prom-client'];

/** A folder with the --import module that registers the recording resolve hook (module.register). */
function recorder(): { register: string; log: string } {
  const dir = mkdtempSync(join(tmpdir(), 'wd-startup-'));
  writeFileSync(
    join(dir, 'hooks.mjs'),
    [
      "import { appendFileSync } from 'node:fs';",
      'let log;',
      'export function initialize(data) { log = data.log; }',
      'export async function resolve(specifier, context, next) {',
      '  const r = await next(specifier, context);',
      "  appendFileSync(log, `${r.url}\\n`);",
      '  return r;',
      '}',
    ].join('\n'),
  );
  const log = join(dir, 'resolved.txt');
  writeFileSync(log, '');
  writeFileSync(join(dir, 'register.mjs'), `import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url, { data: { log: ${JSON.stringify(log)} } });\n`);
  return { register: pathToFileURL(join(dir, 'register.mjs')).href, log };
}

interface Loaded {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** The npm packages the process resolved a module of (`@scope/name` or `name`). */
  readonly packages: Set<string>;
  /** How many modules of the transpiled src/ it resolved. */
  readonly sources: number;
}

/** Runs `widedeep <args>` as a child process with the recorder, and returns what it loaded. */
function loadedBy(args: readonly string[], input = ''): Promise<Loaded> {
  const { register, log } = recorder();
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, ['--import', register, ...cliArgs(args)], { cwd: ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', fail);
    child.on('close', (code) => {
      // the run's tree of transpiled src/ lies under node_modules/.cache: its modules are not packages
      const tree = `${pathToFileURL(cliFile('src')).href}/`;
      const urls = readFileSync(log, 'utf8').split('\n').filter((u) => u !== '');
      const packages = new Set(urls.flatMap((u) => (u.startsWith(tree) ? [] : (/\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(u)?.[1] ?? []))));
      const sources = new Set(urls.filter((u) => u.startsWith(tree))).size;
      ok({ code, stdout, stderr, packages, sources });
    });
    child.stdin.end(input);
  });
}

const heavyIn = (l: Loaded): string[] => HEAVY.filter((p) => l.packages.has(p));

describe('widedeep start-up: only the invoked command loads its modules', () => {
  it('--help, --version, <command> --help and an unknown command load none of the heavy packages', async () => {
    for (const args of [['--help'], ['--version'], ['fit', '--help'], ['serve', '--help'], ['train-stream', '--help'], ['nope']]) {
      const l = await loadedBy(args);
      expect(l.code, `widedeep ${args.join(' ')}: ${l.stderr}`).toBe(args[0] === 'nope' ? 2 : 0);
      expect(l.sources, `widedeep ${args.join(' ')} resolved no module of src/: the recorder saw nothing`).toBeGreaterThan(0);
      expect(heavyIn(l), `widedeep ${args.join(' ')} loaded ${[...l.packages].join(', ')}`).toEqual([]);
    }
  });

  it('inspect loads its own graph only: no DuckDB, Fastify, BullMQ, KafkaJS, nats or prom-client', async () => {
    const l = await loadedBy(['inspect', '--model', join(FIXTURE, 'model'), '--json']);
    expect(l.code, l.stderr).toBe(0);
    expect(JSON.parse(l.stdout)).toHaveProperty('features');
    // the recorder sees packages (a command that needs one loads it)
    expect(l.packages.has('zod')).toBe(true);
    expect(heavyIn(l)).toEqual([]);
  });

  it('predict loads DuckDB and ONNX Runtime, and not the serving, queue or stream packages', async () => {
    const rows = expected().rows;
    const l = await loadedBy(['predict', '--model', join(FIXTURE, 'model'), '--input', '-'], rows.map((r) => `${JSON.stringify(r)}\n`).join(''));
    expect(l.code, l.stderr).toBe(0);
    expect(l.stdout.trim().split('\n')).toHaveLength(rows.length);
    expect(heavyIn(l)).toEqual(['onnxruntime-node', '@duckdb/node-api']);
  });
});
