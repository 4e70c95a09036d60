import type { ParseArgsConfig } from 'node:util';

/** One option of node:util parseArgs (`type`, `default`, `short`, `multiple`). */
type ParseArgsOptionConfig = NonNullable<ParseArgsConfig['options']>[string];

/** One flag: what the parser takes (`type`, a parser `default`) and what `--help` says about it. */
export interface OptionSpec extends ParseArgsOptionConfig {
  /** What the option does. */
  readonly help: string;
  /** A string option's value as help writes it (`--out <dir>`). Default 'value'. */
  readonly value?: string;
  /** The default as help shows it, where the command fills it in rather than the parser (`8080`, `runs/<config name>`). */
  readonly shown?: string;
  /** The command refuses to run without it. */
  readonly required?: boolean;
}

/** A command's flags, as `flags()` parses them and `--help` lists them: one table, so the two cannot drift. */
export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

/**
 * An entry of the command table (src/cli/main.ts): the help of `widedeep <name> --help` is made from
 * `summary`, `positionals`, `options` and `example`, and `run` parses `options` with `flags()`.
 */
export interface Command {
  readonly summary: string;
  /** Positional arguments of the usage line, e.g. `<results.jsonl>`. */
  readonly positionals?: string;
  readonly options: OptionSpecs;
  /** One command line that works as written (from the repository root). */
  readonly example: string;
  readonly run: (argv: string[]) => Promise<number>;
}

/** `--name <value>` or `--name`. */
export function optionLabel(name: string, o: ParseArgsOptionConfig & { readonly value?: string }): string {
  return o.type === 'string' ? `--${name} <${o.value ?? 'value'}>` : `--${name}`;
}

/** The text of `widedeep <name> --help`: usage, every option with its meaning and default, an example. */
export function commandHelp(name: string, c: Command): string {
  const entries = Object.entries(c.options);
  const required = entries.filter(([, o]) => o.required === true).map(([k, o]) => optionLabel(k, o));
  const usage = ['usage: widedeep', name, ...(c.positionals !== undefined ? [c.positionals] : []), ...required, ...(entries.length > required.length ? ['[options]'] : [])].join(' ');
  const rows: [string, string][] = entries.map(([k, o]) => {
    const def = o.shown ?? (typeof o.default === 'string' ? o.default : undefined);
    const notes = [o.required === true ? 'required' : '', def !== undefined ? `default: ${def}` : ''].filter((s) => s !== '');
    return [optionLabel(k, o), `${o.help}${notes.length > 0 ? ` (${notes.join('; ')})` : ''}`];
  });
  rows.push(['-h, --help', 'show this help']);
  const w = Math.max(...rows.map(([l]) => l.length));
  return [`widedeep ${name}: ${c.summary}`, '', usage, '', 'options:', ...rows.map(([l, h]) => `  ${l.padEnd(w)}  ${h}`), '', 'example:', `  ${c.example}`].join('\n');
}

/** Whether argv asks for help (`--help` or `-h` before a `--`). */
export function wantsHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).some((a) => a === '--help' || a === '-h');
}
