import { describe, expect, it } from 'vitest';
import { nodeExecutor } from '../../src/runtime/node.js';
import type { Executor, SessionOptions } from '../../src/runtime/executor.js';
import { fitRun } from '../../src/train/pipeline.js';
import { parseRunConfig } from '../../src/train/run-config.js';
import { smallConfig } from '../helpers/small-config.js';

/** nodeExecutor that records the threads each session was asked for. */
function spy(): { executor: Executor; asked: (number | undefined)[] } {
  const asked: (number | undefined)[] = [];
  return { asked, executor: { ...nodeExecutor, createSession: (m: Uint8Array, o: SessionOptions = {}) => (asked.push(o.threads), nodeExecutor.createSession(m, o)) } };
}

/** Which threads the sessions of a short fit were asked for, with train.threads and the fit option as given. */
async function threadsOf(configThreads: number | undefined, optionThreads: number | undefined, hidden: number[]): Promise<(number | undefined)[]> {
  const raw = smallConfig({ rows: 600, epochs: 1 }) as { model: { deep: { hidden: number[] } }; train: Record<string, unknown> };
  raw.model.deep.hidden = hidden;
  raw.train.checkpoint = false;
  if (configThreads !== undefined) raw.train.threads = configThreads;
  const s = spy();
  const out = await fitRun(parseRunConfig(raw), { executor: s.executor, ...(optionThreads !== undefined ? { threads: optionThreads } : {}) });
  await out.model.release();
  return [...new Set(s.asked)];
}

describe('threads of a fit: --threads, then train.threads, then the default', () => {
  it('train.threads reaches the sessions; the fit option wins over it', async () => {
    expect(await threadsOf(3, undefined, [16, 8])).toEqual([3]);
    expect(await threadsOf(3, 2, [16, 8])).toEqual([2]);
  });

  it('neither: a tiny dense part on one thread, a larger one on the executor default (every core)', async () => {
    expect(await threadsOf(undefined, undefined, [16, 8])).toEqual([1]);
    expect(await threadsOf(undefined, undefined, [256, 128])).toEqual([undefined]);
  });

  it('train.threads must be a positive integer', () => {
    const raw = smallConfig() as { train: Record<string, unknown> };
    raw.train.threads = 0;
    expect(() => parseRunConfig(raw)).toThrow(/train\.threads/);
  });
});

describe('train.sparseWorkers: the embedding tables on worker threads in a fit', () => {
  async function fitWith(sparseWorkers: number | undefined): Promise<Map<string, Float32Array>> {
    const raw = smallConfig({ rows: 600, epochs: 1 }) as { train: Record<string, unknown> };
    raw.train.checkpoint = false;
    if (sparseWorkers !== undefined) raw.train.sparseWorkers = sparseWorkers;
    const out = await fitRun(parseRunConfig(raw), { threads: 1 });
    const state = new Map(out.model.exportState('full').tensors);
    await out.model.release();
    return state;
  }

  it('reaches the model and trains the same weights bit for bit as without', async () => {
    const off = await fitWith(undefined);
    const on = await fitWith(2);
    expect([...on.keys()]).toEqual([...off.keys()]);
    expect([...off.keys()].some((k) => k.startsWith('emb.'))).toBe(true);
    for (const [k, v] of off) expect(Buffer.from((on.get(k) as Float32Array).buffer).equals(Buffer.from(v.buffer)), k).toBe(true);
  }, 60_000);

  it('must be an integer in [0, 63] (0: none)', () => {
    const zero = smallConfig() as { train: Record<string, unknown> };
    zero.train.sparseWorkers = 0;
    expect(parseRunConfig(zero).train.sparseWorkers).toBe(0);
    for (const n of [-1, 1.5, 64]) {
      const raw = smallConfig() as { train: Record<string, unknown> };
      raw.train.sparseWorkers = n;
      expect(() => parseRunConfig(raw)).toThrow(/train\.sparseWorkers/);
    }
  });
});
