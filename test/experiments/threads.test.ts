import { describe, expect, it } from 'vitest';
import { threadsPerTrial } from '../../src/experiments/runner.js';
import { budgetExecutor } from '../../src/experiments/trial.js';
import type { Executor, Session, SessionOptions } from '../../src/runtime/executor.js';

describe('threads of experiment trials', () => {
  it('the cores are divided between the workers, at least one thread each', () => {
    expect(threadsPerTrial(16, 4)).toBe(4);
    expect(threadsPerTrial(16, 3)).toBe(5);
    expect(threadsPerTrial(2, 4)).toBe(1);
    expect(threadsPerTrial(8, 0)).toBe(8); // workers 0: one trial at a time, in the process
    expect(threadsPerTrial(8, 1)).toBe(8);
  });

  it("a session gets the trial's budget unless the model names its own count; the count is remembered", async () => {
    const asked: (number | undefined)[] = [];
    const fake: Executor = {
      name: 'node',
      defaultThreads: () => 16,
      createSession: (_m: Uint8Array, o: SessionOptions = {}) => (asked.push(o.threads), Promise.resolve({} as Session)),
    };
    const a = budgetExecutor(4, fake);
    expect(a.used()).toBeUndefined();
    expect(a.executor.defaultThreads()).toBe(4); // what the model sizes its sparse workers from
    await a.executor.createSession(new Uint8Array(), {});
    expect(a.used()).toBe(4);
    const b = budgetExecutor(4, fake);
    await b.executor.createSession(new Uint8Array(), { threads: 1 }); // a tiny dense part, train.threads or --threads
    expect(b.used()).toBe(1);
    expect(asked).toEqual([4, 1]);
  });
});
