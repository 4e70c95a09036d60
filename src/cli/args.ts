import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { WideDeepError } from '../core/errors.js';
import type { BadRowPolicy } from '../data/index.js';
import { optionLabel } from './command.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * Parses a command's flags from its option table (the one `--help` prints); an unknown or malformed flag is
 * an error that lists the valid ones.
 */
export function flags<O extends Options>(command: string, argv: string[], options: O): ReturnType<typeof parseArgs<{ options: O; args: string[]; allowPositionals: true; strict: true }>> {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    const valid = Object.entries(options)
      .map(([k, o]) => optionLabel(k, o))
      .join(', ');
    throw new WideDeepError('CONFIG', `widedeep ${command}: ${(err as Error).message}`, { fix: `valid options: ${valid} (widedeep ${command} --help says what each does)` });
  }
}

export function required(command: string, value: string | undefined, flag: string): string {
  if (value === undefined || value === '') {
    throw new WideDeepError('CONFIG', `widedeep ${command} needs --${flag}`, { field: `--${flag}`, fix: `widedeep ${command} --${flag} <value>` });
  }
  return value;
}

export function intFlag(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n)) throw new WideDeepError('CONFIG', `--${flag} must be an integer, got ${value}`, { field: `--${flag}` });
  return n;
}

/** The `--threads n` flag of fit, eval, predict, serve and experiment: one definition, spread into each command's options. */
export const THREADS_OPTION = {
  threads: { type: 'string', value: 'n', help: "ONNX Runtime intra-op threads, >= 1", shown: "the config's train.threads where it trains, else every core" },
} as const;

/**
 * The value of `--threads`: ONNX Runtime intra-op threads, an integer >= 1; undefined when not given (then the
 * config's `train.threads` where the command trains, else the default: every available core, one for a tiny
 * dense part).
 */
export function threadsFlag(value: string | undefined): number | undefined {
  const n = intFlag(value, 'threads');
  if (n === undefined || n >= 1) return n;
  throw new WideDeepError('CONFIG', `--threads must be at least 1, got ${n}`, { field: '--threads', fix: 'use e.g. --threads 4, or leave it out to use every core' });
}

/** The value of an `--on-bad-row` flag: error (stop at the first bad row) or skip (leave bad rows out, counted). */
export function badRowFlag(value: string | undefined): BadRowPolicy | undefined {
  if (value === undefined || value === 'error' || value === 'skip') return value;
  throw new WideDeepError('CONFIG', `--on-bad-row must be error or skip, got ${value}`, {
    field: '--on-bad-row',
    fix: '--on-bad-row error (stop at the first bad row) or --on-bad-row skip (leave bad rows out and count them)',
  });
}

/** The value of `--epochs`: an integer >= 1 (a run of no epoch would write an untrained model). */
export function epochsFlag(value: string | undefined): number | undefined {
  const n = intFlag(value, 'epochs');
  if (n === undefined || n >= 1) return n;
  throw new WideDeepError('CONFIG', `epochs must be >= 1, got ${n}`, { field: '--epochs', fix: 'use e.g. --epochs 10, or leave it out to train for the config\'s train.epochs' });
}

/**
 * A warning on stderr that does not stop the command: `widedeep <command>: warning: ... (fix: ...)`, or one
 * JSON object `{"event":"warning","message","fix"}` under --json.
 */
export function warn(command: string, w: { readonly message: string; readonly fix?: string }, json = false): void {
  if (json) log(JSON.stringify({ event: 'warning', message: w.message, ...(w.fix !== undefined ? { fix: w.fix } : {}) }));
  else log(`widedeep ${command}: warning: ${w.message}${w.fix !== undefined ? ` (fix: ${w.fix})` : ''}`);
}

/** Creates the directory a command writes `file` into, with its parents (a fresh clone has no runs/). */
export async function makeDirOf(file: string, flag = '--out'): Promise<void> {
  const dir = dirname(file);
  try {
    await mkdir(dir, { recursive: true });
  } catch (err) {
    throw new WideDeepError('IO', `cannot create the directory ${dir}: ${(err as Error).message}`, { file, field: flag, fix: `choose another ${flag}, or make ${dirname(dir)} writable` });
  }
}

/** Writes one line to stdout (results) or stderr (logs). */
export const out = (s: string): void => void process.stdout.write(`${s}\n`);
export const log = (s: string): void => void process.stderr.write(`${s}\n`);
