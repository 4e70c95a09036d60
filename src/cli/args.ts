import { parseArgs, type ParseArgsConfig } from 'node:util';
import { WideDeepError } from '../core/errors.js';

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

/** Writes one line to stdout (results) or stderr (logs). */
export const out = (s: string): void => void process.stdout.write(`${s}\n`);
export const log = (s: string): void => void process.stderr.write(`${s}\n`);
