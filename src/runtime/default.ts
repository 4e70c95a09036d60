import { WideDeepError } from '../core/errors.js';
import type { Executor } from './executor.js';
import { nodeExecutor } from './node.js';
import { loadOptional } from '../core/optional-module.js';
import { WEB_RUNTIME_PACKAGE, webExecutor } from './web.js';

let cached: Executor | undefined;

/** How the executor packages are imported: the seam through which tests make one fail to load. */
export interface ExecutorImports {
  readonly node: () => Promise<unknown>;
  readonly web: () => Promise<unknown>;
}

const IMPORTS: ExecutorImports = { node: () => import('onnxruntime-node'), web: () => import('onnxruntime-web') };

/**
 * The executor to use: `WIDEDEEP_EXECUTOR=node|web` when set, else onnxruntime-node when its native binary
 * loads on this platform, else onnxruntime-web (wasm).
 */
export async function defaultExecutor(): Promise<Executor> {
  const wanted = process.env.WIDEDEEP_EXECUTOR;
  if (wanted === 'node') return nodeExecutor;
  if (wanted === 'web') return webExecutor;
  if (wanted !== undefined && wanted !== '') {
    throw new WideDeepError('CONFIG', `WIDEDEEP_EXECUTOR must be node or web, got ${wanted}`, { field: 'WIDEDEEP_EXECUTOR' });
  }
  cached ??= await detectExecutor();
  return cached;
}

/**
 * onnxruntime-node when it loads, else onnxruntime-web: onnxruntime-node ships no native binary for some
 * platforms (Intel macOS). When the wasm package, an optional one, is missing too, the error says why the
 * native one failed beside the install fix.
 */
export async function detectExecutor(imports: ExecutorImports = IMPORTS): Promise<Executor> {
  try {
    await imports.node();
    return nodeExecutor;
  } catch (err) {
    await loadOptional(WEB_RUNTIME_PACKAGE, imports.web).catch((missing: unknown) => {
      const why = `onnxruntime-node does not load here (${(err as Error).message.split('\n')[0]}), and ${(missing as Error).message}`;
      throw new WideDeepError('CONFIG', why, { fix: WEB_RUNTIME_PACKAGE.install }, { cause: err });
    });
    return webExecutor;
  }
}
