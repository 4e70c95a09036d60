import { availableCores } from './cores.js';
import type { Executor, Session, SessionOptions } from './executor.js';
import { OrtSession } from './ort-session.js';

/**
 * onnxruntime-node (native MLAS kernels). Intra-op threads = the cores this process may use (`availableCores`:
 * CPUs, lowered to a cgroup's CPU limit) unless `threads` is given; spinning off: spinning threads fight the
 * sparse workers and other processes for the cores (on 2 cores, criteo and criteo_small 6-24% slower with it,
 * small no better; only short inference graphs gained, BENCHMARKS.md "Engine").
 */
export const nodeExecutor: Executor = {
  name: 'node',
  defaultThreads: availableCores,
  async createSession(model: Uint8Array, options: SessionOptions = {}): Promise<Session> {
    const ort = await import('onnxruntime-node');
    const session = await ort.InferenceSession.create(model, {
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      intraOpNumThreads: options.threads ?? nodeExecutor.defaultThreads(),
      interOpNumThreads: 1,
      extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
    });
    return new OrtSession(ort, session, true);
  },
};
