import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import * as op from '../../src/graph/ops.js';
import { parseDenseOptimizer } from '../../src/graph/optimizers.js';
import { buildForward, buildTrainStep, type ForwardBuilder } from '../../src/graph/train-step.js';
import type { Executor } from '../../src/runtime/executor.js';
import { nodeExecutor } from '../../src/runtime/node.js';
import { StepRunner } from '../../src/runtime/step-runner.js';
import { webExecutor } from '../../src/runtime/web.js';

// One contract, every executor: the same program on the same inputs gives the same numbers (to 1e-5).
const forward: ForwardBuilder = (scope) => {
  const g = scope.g;
  const x = g.input('x', 'float32', ['N', 8]);
  const w1 = scope.param('w1', [8, 16], 'he_normal', { fanIn: 8, fanOut: 16 });
  const b1 = scope.param('b1', [16], 'zeros', { fanIn: 8, fanOut: 16 });
  const w2 = scope.param('w2', [16, 1], 'xavier_normal', { fanIn: 16, fanOut: 1 });
  const h = op.tanh(g, op.relu(g, op.gemm(g, x, w1, b1)));
  return op.gemm(g, h, w2, null);
};

async function trace(executor: Executor): Promise<{ losses: number[]; logits: Float32Array; grad: Float32Array; w1: Float32Array }> {
  const prog = buildTrainStep({
    forward,
    loss: 'bce',
    optimizers: { deep: parseDenseOptimizer({ type: 'adagrad', lr: 0.1 }) },
    gradInputs: ['x'],
  });
  const runner = await StepRunner.create(prog, buildForward({ forward, loss: 'bce' }), { executor, rng: new Rng(42) });
  const rng = new Rng(1);
  const n = 32;
  const x = Float32Array.from({ length: n * 8 }, () => rng.normal());
  const labels = Float32Array.from({ length: n }, () => (rng.uniform() < 0.3 ? 1 : 0));
  const batch = { size: n, inputs: { x: { type: 'float32' as const, data: x, dims: [n, 8] } }, labels };
  const losses: number[] = [];
  let last = await runner.step(batch, { deep: 0.1 });
  losses.push(last.loss);
  for (let i = 0; i < 4; i++) {
    last = await runner.step(batch, { deep: 0.1 });
    losses.push(last.loss);
  }
  const out = { losses, logits: Float32Array.from(last.logits), grad: Float32Array.from(last.grads.get('x')!), w1: Float32Array.from(runner.state.get('w1')!) };
  await runner.release();
  return out;
}

describe('executor contract: node and web give the same training trace', () => {
  it('losses, logits, input gradients and weights agree to 1e-5 after 5 steps', async () => {
    const [a, b] = [await trace(nodeExecutor), await trace(webExecutor)];
    expect(a.losses[4]).toBeLessThan(a.losses[0]!);
    a.losses.forEach((l, i) => expect(Math.abs(l - b.losses[i]!)).toBeLessThan(1e-5));
    for (const k of ['logits', 'grad', 'w1'] as const) {
      let worst = 0;
      a[k].forEach((v, i) => (worst = Math.max(worst, Math.abs(v - b[k][i]!))));
      expect(worst).toBeLessThan(1e-5);
    }
  });
});

describe('defaultExecutor', () => {
  it('follows WIDEDEEP_EXECUTOR, and rejects an unknown value naming it', async () => {
    const { defaultExecutor } = await import('../../src/runtime/default.js');
    const saved = process.env.WIDEDEEP_EXECUTOR;
    try {
      process.env.WIDEDEEP_EXECUTOR = 'web';
      expect((await defaultExecutor()).name).toBe('web');
      process.env.WIDEDEEP_EXECUTOR = 'node';
      expect((await defaultExecutor()).name).toBe('node');
      process.env.WIDEDEEP_EXECUTOR = 'cuda';
      await expect(defaultExecutor()).rejects.toThrow(/WIDEDEEP_EXECUTOR.*cuda/);
      delete process.env.WIDEDEEP_EXECUTOR;
      expect((await defaultExecutor()).name).toBe('node');
    } finally {
      if (saved === undefined) delete process.env.WIDEDEEP_EXECUTOR;
      else process.env.WIDEDEEP_EXECUTOR = saved;
    }
  });
});
