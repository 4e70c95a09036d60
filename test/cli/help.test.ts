import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runMain } from '../helpers/cli.js';
import { LIBRARY_VERSION } from '../../src/artifact/bundle.js';
import { FIT_OPTIONS } from '../../src/cli/options/fit.js';
import { COMMANDS } from '../../src/cli/main.js';

const PACKAGE_VERSION = (JSON.parse(readFileSync(resolve(import.meta.dirname, '../../package.json'), 'utf8')) as { version: string }).version;

const run = runMain;

describe('widedeep <command> --help', () => {
  afterEach(() => vi.restoreAllMocks());

  // The options are those of the table each command parses its flags with (flags()), so help cannot drift.
  it.each(Object.keys(COMMANDS))('%s --help lists usage, every option the parser takes and an example, exit 0', async (name) => {
    const command = COMMANDS[name]!;
    for (const flag of ['--help', '-h']) {
      const r = await run([name, flag]);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout).toMatch(new RegExp(`^widedeep ${name}: `));
      expect(r.stdout).toMatch(new RegExp(`usage: widedeep ${name}`));
      for (const [option, spec] of Object.entries(command.options)) {
        expect(r.stdout).toContain(`--${option}`);
        expect(r.stdout).toContain(spec.help);
      }
      expect(r.stdout).toContain(`example:\n  ${command.example}`);
    }
  });

  it('gives each option its meaning and default', async () => {
    const r = await run(['fit', '--help']);
    expect(r.stdout).toContain(FIT_OPTIONS.config.help);
    expect(r.stdout).toMatch(/--config <file> +the run config, YAML or JSON .*\(required\)/);
    expect(r.stdout).toMatch(/--out <dir> +.*\(default: runs\/<config name>\)/);
    expect((await run(['serve', '--help'])).stdout).toMatch(/--host <host> +the address to listen on \(default: 127\.0\.0\.1\)/);
  });

  it('an unknown option still names the valid ones and points to --help', async () => {
    const r = await run(['eval', '--modle', 'x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/valid options: --model <dir>, .*widedeep eval --help/);
  });
});

describe('widedeep --version', () => {
  afterEach(() => vi.restoreAllMocks());

  it('prints the version of package.json, as bundles record it', async () => {
    for (const argv of [['--version'], ['version']]) {
      const r = await run(argv);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`${PACKAGE_VERSION}\n`);
    }
    expect(LIBRARY_VERSION).toBe(PACKAGE_VERSION);
    expect((await run(['help'])).stdout).toMatch(/--version/);
  });
});
