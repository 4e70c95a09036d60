import type { Executor, Session, SessionOptions } from './executor.js';
import { OrtSession } from './ort-session.js';

/**
 * onnxruntime-web on its wasm backend: the executor where no native binary exists (browsers, other
 * platforms). Single-threaded unless `threads` is set (multi-threaded wasm needs cross-origin isolation).
 */
export const webExecutor: Executor = {
  name: 'web',
  async createSession(model: Uint8Array, options: SessionOptions = {}): Promise<Session> {
    const ort = await import('onnxruntime-web');
    ort.env.wasm.numThreads = options.threads ?? 1;
    const session = await ort.InferenceSession.create(model, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
    return new OrtSession(ort, session, false);
  },
};
