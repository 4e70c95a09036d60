import { WideDeepError } from './errors.js';

/**
 * Optional packages: parts of widedeep that most users never run (the experiment report's charts, the wasm
 * executor) depend on packages that are optional peer dependencies, so that `npm install widedeep` does not
 * fetch them (vega + vega-lite ~8 MB, onnxruntime-web ~150 MB). They are imported on first use through
 * `loadOptional`, which turns "package not installed" into a WideDeepError naming the install command.
 */
export interface OptionalPackage {
  /** The package's name, as imported. */
  readonly name: string;
  /** What it is needed for, in the message ("it is needed for the experiment report's charts"). */
  readonly usedBy: string;
  /** The command that installs it (and its companions), e.g. `npm install vega vega-lite`. */
  readonly install: string;
}

/**
 * Imports one optional package: `() => import('vega')` at the call site, with the specifier written out so
 * that bundlers (the browser build) can follow it. The seam through which tests simulate a package that is
 * not installed.
 */
export type ModuleLoader<T> = () => Promise<T>;

/**
 * Loads an optional package through `load`. When the package itself cannot be found (not one of its own
 * imports), throws a CONFIG WideDeepError whose fix is the install command; any other failure is re-raised.
 */
export async function loadOptional<T>(pkg: OptionalPackage, load: ModuleLoader<T>): Promise<T> {
  try {
    return await load();
  } catch (err) {
    if (!isNotFound(err, pkg.name)) throw err;
    const message = `the package ${pkg.name} is not installed; it is needed for ${pkg.usedBy} (an optional peer dependency of widedeep)`;
    throw new WideDeepError('CONFIG', message, { fix: pkg.install }, { cause: err });
  }
}

/**
 * Whether `err` says that `name` itself was not found: ESM's ERR_MODULE_NOT_FOUND ("Cannot find package
 * 'vega' imported from ...") or CommonJS's MODULE_NOT_FOUND ("Cannot find module 'vega'"). A package that is
 * installed but misses one of its own dependencies names that other package, and is not reported as absent.
 */
function isNotFound(err: unknown, name: string): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return false;
  return err.message.includes(`'${name}'`) || err.message.includes(`"${name}"`);
}
