import { describe, expect, it } from 'vitest';
import { parseModelConfig } from '../../src/model/config.js';
import { gradInputsOf } from '../../src/model/forward.js';
import { partsOf } from '../../src/model/parts/index.js';
import { WideDeepModel } from '../../src/model/wide-deep.js';
import { sizes } from '../helpers/planted-batch.js';

// One contract for every part: what a part declares from sizes and config alone is what it builds.
const CONFIGS = [
  { kind: 'wide_deep', deep: { type: 'mlp', hidden: [4] }, optimizers: { wide: { type: 'ftrl', alpha: 0.3 }, embeddings: { type: 'lazy-adam', lr: 0.02 }, deep: { type: 'adam', lr: 0.004 } } },
  { kind: 'deep', deep: { type: 'gru', sequence: 'hist', hidden: 3 } },
  { kind: 'wide', optimizers: { wide: { type: 'sgd', lr: 0.7 } } },
] as const;

describe('model parts', () => {
  it.each(CONFIGS)('each part builds the tables it declares, and the model its groups: $kind', async (raw) => {
    const config = parseModelConfig(raw);
    const model = await WideDeepModel.create(sizes, config, { seed: 3 });
    try {
      expect(model.parts.map((p) => p.def)).toEqual(partsOf(config));
      for (const part of model.parts) {
        const declared = part.def.tables(sizes, config).map((t) => [t.name, t.numRows, t.dim, t.optimizer.type]);
        expect(part.tables.map((t) => [t.name, t.numRows, t.dim, t.optimizer.type])).toEqual(declared);
        for (const name of part.def.gradInputs(sizes, config)) expect(model.runner.program.gradInputs).toContain(name);
      }
      expect(model.runner.program.gradInputs).toEqual(gradInputsOf(sizes, config));
      expect(model.groups.map((g) => g.name)).toEqual(model.parts.map((p) => p.def.group));
    } finally {
      await model.release();
    }
  });

  it('each group trains at its own optimizer\'s base rate (FTRL alpha, lr otherwise)', async () => {
    const model = await WideDeepModel.create(sizes, parseModelConfig(CONFIGS[0]), { seed: 3 });
    expect(model.groups).toEqual([
      { name: 'wide', baseRate: 0.3 },
      { name: 'embeddings', baseRate: 0.02 },
      { name: 'deep', baseRate: 0.004 },
    ]);
    await model.release();
  });
});
