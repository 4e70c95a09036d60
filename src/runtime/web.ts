import { type ModuleLoader, type OptionalPackage, loadOptional } from '../core/optional-module.js';
import type { Executor, Session, SessionOptions } from './executor.js';
import { OrtSession } from './ort-session.js';

type OrtWeb = typeof import('onnxruntime-web');

/** onnxruntime-web is an optional peer dependency (~150 MB): only the wasm executor needs it. */
export const WEB_RUNTIME_PACKAGE: OptionalPackage = {
  name: 'onnxruntime-web',
  usedBy: "the wasm executor (WIDEDEEP_EXECUTOR=web, or where onnxruntime-node's native binary does not load)",
  install: 'npm install onnxruntime-web',
};

/**
 * onnxruntime-web on its wasm backend, imported on first use through `load`: the executor where no native
 * binary exists (browsers, other platforms). Threads when `threads` is not set: `webThreads()`.
 */
export function createWebExecutor(load: ModuleLoader<OrtWeb> = () => import('onnxruntime-web')): Executor {
  return {
    name: 'web',
    defaultThreads: webThreads,
    async createSession(model: Uint8Array, options: SessionOptions = {}): Promise<Session> {
      const ort = await loadOptional(WEB_RUNTIME_PACKAGE, load);
      ort.env.wasm.numThreads = options.threads ?? webThreads();
      const session = await ort.InferenceSession.create(model, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
      return new OrtSession(ort, session, false);
    },
  };
}

/** The wasm executor with the real module loader. */
export const webExecutor: Executor = createWebExecutor();

/**
 * The default thread count of the wasm backend: in a cross-origin isolated page (COOP + COEP headers, where
 * SharedArrayBuffer exists) the browser's cores, at most 4 (onnxruntime-web's own cap); elsewhere, and in Node,
 * 1, since multi-threaded wasm needs SharedArrayBuffer.
 */
export function webThreads(): number {
  const g = globalThis as { crossOriginIsolated?: boolean; navigator?: { hardwareConcurrency?: number } };
  if (g.crossOriginIsolated !== true) return 1;
  return Math.max(1, Math.min(4, g.navigator?.hardwareConcurrency ?? 1));
}
