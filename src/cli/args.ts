import { parseArgs, type ParseArgsConfig } from 'node:util';
import { WideDeepError } from '../core/errors.js';
import type { BadRowPolicy } from '../data/index.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Parses a command's flags; an unknown or malformed flag is an error that lists the valid ones. */
export function flags<O extends Options>(command: string, argv: string[], options: O): ReturnType<typeof parseArgs<{ options: O; args: string[]; allowPositionals: true; strict: true }>> {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    const valid = Object.entries(options)
      .map(([k, o]) => `--${k}${o.type === 'string' ? ' <value>' : ''}`)
      .join(', ');
    throw new WideDeepError('CONFIG', `widedeep ${command}: ${(err as Error).message}`, { fix: `valid options: ${valid}` });
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
export const THREADS_OPTION = { threads: { type: 'string' } } as const;

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

/** Writes one line to stdout (results) or stderr (logs). */
export const out = (s: string): void => void process.stdout.write(`${s}\n`);
export const log = (s: string): void => void process.stderr.write(`${s}\n`);
