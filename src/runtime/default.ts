import { WideDeepError } from '../core/errors.js';
import type { Executor } from './executor.js';
import { nodeExecutor } from './node.js';
import { webExecutor } from './web.js';

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
    } catch {
      cached = webExecutor;
    }
  }
  return cached;
}
