import { WideDeepError } from '../core/errors.js';
import type { Executor } from './executor.js';
import { nodeExecutor } from './node.js';
import { loadOptional } from '../core/optional-module.js';
import { WEB_RUNTIME_PACKAGE, webExecutor } from './web.js';

let cached: Executor | undefined;

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
  if (!cached) {
    try {
      await import('onnxruntime-node');
      cached = nodeExecutor;
    } catch (err) {
      // No native binary for this platform (onnxruntime-node ships none for Intel macOS): the wasm executor,
      // an optional package. When that is missing too, say why the native one failed beside the install fix.
      await loadOptional(WEB_RUNTIME_PACKAGE, () => import('onnxruntime-web')).catch((missing: unknown) => {
        const why = `onnxruntime-node does not load here (${(err as Error).message.split('\n')[0]}), and ${(missing as Error).message}`;
        throw new WideDeepError('CONFIG', why, { fix: WEB_RUNTIME_PACKAGE.install }, { cause: err });
      });
      cached = webExecutor;
    }
  }
  return cached;
}
